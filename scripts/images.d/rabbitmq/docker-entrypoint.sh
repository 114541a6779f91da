#!/bin/bash
# The official rabbitmq image's entrypoint contract: flags alone are rabbitmq-server's; as root it
# takes ownership of the data directory and drops to the rabbitmq user.
set -euo pipefail
if [[ "$1" == -* ]]; then set -- rabbitmq-server "$@"; fi
if [[ "$1" == rabbitmq* ]] && [ "$(id -u)" = 0 ]; then
  if [ "$1" = rabbitmq-server ]; then find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +; fi
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$BASH_SOURCE" "$@"
fi
exec "$@"
