#!/bin/sh
# The official image's entrypoint: arguments that start with '-' are memcached's flags.
set -e
if [ "${1#-}" != "$1" ]; then set -- memcached "$@"; fi
exec "$@"
