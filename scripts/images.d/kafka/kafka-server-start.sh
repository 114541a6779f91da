#!/usr/bin/env bash
# The distribution's kafka-server-start.sh: the broker's log4j2 file and heap default, then kafka.Kafka.
base_dir="$(cd "$(dirname "$0")/.." && pwd)"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$base_dir/config/log4j2.yaml}"; export KAFKA_LOG4J_OPTS
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"; export KAFKA_HEAP_OPTS
exec "$base_dir/bin/kafka-run-class.sh" kafka.Kafka "$@"
