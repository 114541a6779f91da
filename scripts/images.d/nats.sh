# docker.io/library/nats:2.11.4-alpine. Upstream: nats-server v2.11.4 at /usr/local/bin on Alpine,
# /etc/nats/nats-server.conf, ENTRYPOINT docker-entrypoint.sh (flags alone are nats-server's),
# CMD nats-server --config /etc/nats/nats-server.conf, ports 4222/6222/8222. Here: the same
# nats-server v2.11.4 built from the Go module proxy, on Debian trixie instead of Alpine (a /bin/sh
# the spec's script runs with), the same paths, entrypoint and ports.
REFS="docker.io/library/nats:2.11.4-alpine"
build() {
  debian trixie ca-certificates
  go_bin github.com/nats-io/nats-server/v2@v2.11.4 nats-server
  copy_in nats-server.conf /etc/nats/nats-server.conf 0644
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["nats-server","--config","/etc/nats/nats-server.conf"]' \
    --port 4222/tcp --port 6222/tcp --port 8222/tcp
}
