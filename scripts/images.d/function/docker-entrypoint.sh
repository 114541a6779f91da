#!/bin/sh
# The nginx image's entrypoint: for `nginx`/`nginx-debug`, run /docker-entrypoint.d/*.sh first.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in /docker-entrypoint.d/*.sh; do [ -x "$f" ] && "$f"; done
fi
exec "$@"
