#!/bin/sh
# The official image's entrypoint: arguments that start with '-' are nats-server's flags.
set -e
if [ "${1#-}" != "$1" ]; then set -- nats-server "$@"; fi
exec "$@"
