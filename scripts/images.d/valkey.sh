# docker.io/valkey/valkey:8.1.1. Upstream: valkey built from source on debian:bookworm-slim, user
# valkey 999:999, WORKDIR /data (a volume), ENTRYPOINT docker-entrypoint.sh, CMD valkey-server.
# Here: Debian trixie's valkey-server/valkey-tools 8.1.1, binaries linked into /usr/local/bin.
REFS="docker.io/valkey/valkey:8.1.1"
build() {
  debian trixie valkey-server valkey-tools
  add_user valkey 999 /data
  local b; for b in valkey-server valkey-cli valkey-benchmark valkey-check-aof valkey-check-rdb valkey-sentinel; do
    [ -e "$ROOT/usr/bin/$b" ] && ln -sf "/usr/bin/$b" "$ROOT/usr/local/bin/$b"
  done
  mkdir -p "$ROOT/data"; chown 999:999 "$ROOT/data"
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["valkey-server"]' --workdir /data --port 6379/tcp --volume /data
}
