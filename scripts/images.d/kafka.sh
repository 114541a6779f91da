# docker.io/apache/kafka:4.1.0. Upstream: the Apache binary distribution 4.1.0 in /opt/kafka on
# eclipse-temurin:21-jre-alpine, user appuser 1000, CMD /etc/kafka/docker/run (run -> configure
# -> launch: kafka.docker.KafkaDockerWrapper turns KAFKA_* variables into
# /opt/kafka/config/server.properties and formats the storage with CLUSTER_ID, then
# kafka-server-start.sh), /var/lib/kafka/data, port 9092. Here: Kafka 4.1.0's own jars
# (kafka_2.13 with the same KafkaDockerWrapper, kafka-tools, log4j2) from Maven Central in
# /opt/kafka/libs, Debian trixie's OpenJDK 21 instead of Temurin 21 on Alpine; our run, configure,
# launch, kafka-run-class.sh and kafka-server-start.sh (the distribution's scripts are in no
# registry) with the same variables and steps; no class-data-sharing archive (kafka.jsa).
REFS="docker.io/apache/kafka:4.1.0"
build() {
  debian trixie openjdk-21-jre-headless bash
  maven_libs pom.xml /opt/kafka/libs
  add_user appuser 1000 /home/appuser
  mkdir -p "$ROOT/opt/kafka/bin" "$ROOT/opt/kafka/config" "$ROOT/opt/kafka/logs" "$ROOT/etc/kafka/docker" \
    "$ROOT/etc/kafka/secrets" "$ROOT/var/lib/kafka/data" "$ROOT/mnt/shared/config" "$ROOT/usr/logs" "$ROOT/home/appuser"
  local f
  for f in run configure configureDefaults launch bash-config; do copy_in "$f" "/etc/kafka/docker/$f"; done
  for f in server.properties log4j2.yaml tools-log4j2.yaml; do copy_in "$f" "/etc/kafka/docker/$f" 0644; done
  cp "$FILES/server.properties" "$FILES/log4j2.yaml" "$FILES/tools-log4j2.yaml" "$ROOT/opt/kafka/config/"
  copy_in kafka-run-class.sh /opt/kafka/bin/kafka-run-class.sh
  copy_in kafka-server-start.sh /opt/kafka/bin/kafka-server-start.sh
  copy_in kafka-topics.sh /opt/kafka/bin/kafka-topics.sh
  chown -R 1000:1000 "$ROOT/opt/kafka" "$ROOT/mnt/shared/config" "$ROOT/usr/logs" "$ROOT/home/appuser"
  chown -R 1000:0 "$ROOT/var/lib/kafka" "$ROOT/etc/kafka"
  pack --cmd '["/etc/kafka/docker/run"]' --user appuser --workdir /home/appuser --port 9092/tcp \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/kafka/bin \
    --env JAVA_HOME=/usr/lib/jvm/java-21-openjdk-amd64 \
    --volume /etc/kafka/secrets --volume /var/lib/kafka/data --volume /mnt/shared/config
}
