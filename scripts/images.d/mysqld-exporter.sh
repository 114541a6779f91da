# docker.io/prom/mysqld-exporter:v0.17.2. Upstream: the Go binary /bin/mysqld_exporter on the
# Prometheus busybox image, ENTRYPOINT /bin/mysqld_exporter, USER nobody, port 9104, the password
# from MYSQLD_EXPORTER_PASSWORD. Here: Debian trixie's prometheus-mysqld-exporter 0.17.2 at the
# same path, user and port.
REFS="docker.io/prom/mysqld-exporter:v0.17.2"
build() {
  debian trixie prometheus-mysqld-exporter
  mkdir -p "$ROOT/bin"
  ln -sf /usr/bin/prometheus-mysqld-exporter "$ROOT/bin/mysqld_exporter"
  pack --entrypoint '["/bin/mysqld_exporter"]' --user 65534:65534 --port 9104/tcp
}
