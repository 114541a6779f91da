# docker.io/oliver006/redis_exporter:v1.67.0. Upstream: the static Go binary /redis_exporter on
# scratch, ENTRYPOINT /redis_exporter, port 9121, configured by REDIS_ADDR and friends. Here:
# Debian trixie's prometheus-redis-exporter 1.69.0 (the Go module proxy refuses v1.67.0; 1.69.0 is
# the nearest a registry serves), the same entrypoint path, variables and port.
REFS="docker.io/oliver006/redis_exporter:v1.67.0"
build() {
  debian trixie prometheus-redis-exporter
  ln -sf /usr/bin/prometheus-redis-exporter "$ROOT/redis_exporter"
  pack --entrypoint '["/redis_exporter"]' --user 59000:59000 --port 9121/tcp
}
