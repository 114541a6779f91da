# Test-only image (not in any bundle): the clients the node tier runs against the services, from
# Debian trixie: valkey-cli, psql, mariadb, etcdctl, curl, amqp-tools (RabbitMQ's try line), the NATS
# CLI (natscli v0.5.1, Go module proxy: NATS's try line), and Python with the Cassandra, Kafka (librdkafka's), RabbitMQ
# (pika), ZooKeeper (kazoo) and S3 (boto3) client libraries, and natsc.py (a small NATS/JetStream client of ours). Runs as an unprivileged user; `sleep infinity` by default.
REFS="ossc.dev/test-client:1"
build() {
  debian trixie bash coreutils curl ca-certificates valkey-tools postgresql-client-17 mariadb-client etcd-client \
    python3 python3-cassandra python3-confluent-kafka python3-pika python3-boto3 python3-kazoo netcat-openbsd procps amqp-tools
  add_user client 10000 /tmp
  copy_in natsc.py /usr/local/bin/natsc.py
  # the NATS CLI, for the connect text's try line (Debian has none): natscli from the Go module proxy
  go_bin github.com/nats-io/natscli/nats@v0.5.1 nats
  pack --cmd '["sleep","infinity"]' --user 10000:10000 --env HOME=/tmp \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin
}
