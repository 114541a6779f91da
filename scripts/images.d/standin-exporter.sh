# STAND-IN, not the real exporters: quay.io/prometheus/memcached-exporter:v0.15.0,
# docker.io/natsio/prometheus-nats-exporter:0.16.0 and docker.io/criteord/cassandra_exporter:2.3.8
# are served by no registry this machine reaches (the Go module proxy answers 403 for the first
# two; neither Debian nor Maven Central carries them). So the pods can start, this image answers
# on the exporter's port with one honest series, ossc_standin_target_up (a TCP connect to the
# target address in its arguments). A test on it proves nothing about the exporters' metrics.
# docker.io/danielqsj/kafka-exporter:v1.9.0 likewise (the Go module proxy answers 403): as
# /bin/kafka_exporter it takes the real one's flags and reads the cluster's metadata with them
# (python3-confluent-kafka), so the SASL user, password and TLS CA the catalog passes are proven;
# the image's /bin/sh (busybox there, dash here) runs the catalog's retry loop.
REFS="quay.io/prometheus/memcached-exporter:v0.15.0 docker.io/natsio/prometheus-nats-exporter:0.16.0 docker.io/criteord/cassandra_exporter:2.3.8 docker.io/danielqsj/kafka-exporter:v1.9.0"
build() {
  debian trixie python3,python3-confluent-kafka
  copy_in standin-exporter.py /usr/local/bin/standin-exporter
  ln -s /usr/local/bin/standin-exporter "$ROOT/usr/bin/kafka_exporter"
  pack --entrypoint '["/usr/local/bin/standin-exporter"]' --user 65534:65534 --port 9150/tcp
}
