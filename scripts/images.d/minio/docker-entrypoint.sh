#!/bin/sh
# The minio image's entrypoint contract: a command that is not `minio` is taken as minio's
# arguments; MINIO_USERNAME / MINIO_GROUPNAME (deprecated upstream) switch the user first.
if [ "$1" != minio ] && [ -n "$1" ]; then set -- minio "$@"; fi
if [ -n "$MINIO_USERNAME" ] && [ -n "$MINIO_GROUPNAME" ]; then
  exec setpriv --reuid="${MINIO_UID:-$MINIO_USERNAME}" --regid="${MINIO_GID:-$MINIO_GROUPNAME}" --clear-groups "$@"
fi
exec "$@"
