# quay.io/prometheuscommunity/postgres-exporter:v0.17.1. Upstream: the static Go binary
# /bin/postgres_exporter on quay.io/prometheus/busybox, USER nobody (65534), ENTRYPOINT
# /bin/postgres_exporter, port 9187, configured by DATA_SOURCE_URI, DATA_SOURCE_USER and
# DATA_SOURCE_PASS (or DATA_SOURCE_NAME). Here: the same version built from its module's source
# on the Go module proxy (cmd/postgres_exporter), in an empty root; no busybox.
REFS="quay.io/prometheuscommunity/postgres-exporter:v0.17.1"
build() {
  static_root
  go_src github.com/prometheus-community/postgres_exporter v0.17.1 cmd/postgres_exporter postgres_exporter
  mkdir -p "$ROOT/bin"; mv "$ROOT/usr/local/bin/postgres_exporter" "$ROOT/bin/postgres_exporter"
  pack --entrypoint '["/bin/postgres_exporter"]' --user 65534:65534 --port 9187/tcp
}
