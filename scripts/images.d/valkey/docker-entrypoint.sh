#!/bin/sh
# The official image's entrypoint: a first argument that is a flag or a .conf file is valkey-server's;
# as root it takes ownership of the data directory and drops to the valkey user.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- valkey-server "$@"; fi
if [ "$1" = valkey-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user valkey -exec chown valkey '{}' +
  exec setpriv --reuid=valkey --regid=valkey --init-groups "$@"
fi
um="$(umask)"; [ "$um" = 0022 ] && umask 0077
exec "$@"
