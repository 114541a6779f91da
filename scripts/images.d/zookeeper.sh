# docker.io/library/zookeeper:3.9.4. Upstream: the Apache binary distribution 3.9.4 in
# /apache-zookeeper-3.9.4-bin on eclipse-temurin:17-jre, user zookeeper 1000:1000, ZOO_CONF_DIR
# /conf, ZOO_DATA_DIR /data, ZOO_DATA_LOG_DIR /datalog, ZOO_LOG_DIR /logs, ENTRYPOINT
# docker-entrypoint.sh (writes zoo.cfg from ZOO_* variables when /conf has none, and myid from
# ZOO_MY_ID), CMD zkServer.sh start-foreground. Here: ZooKeeper 3.9.4's jars (and its Prometheus
# metrics provider) from Maven Central, Debian trixie's OpenJDK 21 (Debian has no 17), and our
# zkServer.sh / zkCli.sh (the distribution's launch scripts are in no registry: ours run the same
# main classes with the same variables; `status` asks `srvr` as upstream does).
REFS="docker.io/library/zookeeper:3.9.4"
build() {
  debian trixie openjdk-21-jre-headless bash netcat-openbsd
  local home=/apache-zookeeper-3.9.4-bin
  maven_libs pom.xml "$home/lib"
  add_user zookeeper 1000 /home/zookeeper
  mkdir -p "$ROOT/conf" "$ROOT/data" "$ROOT/datalog" "$ROOT/logs" "$ROOT$home/bin"
  copy_in logback.xml /conf/logback.xml 0644
  copy_in zkServer.sh "$home/bin/zkServer.sh"
  copy_in zkCli.sh "$home/bin/zkCli.sh"
  copy_in docker-entrypoint.sh /docker-entrypoint.sh
  chown -R 1000:1000 "$ROOT/conf" "$ROOT/data" "$ROOT/datalog" "$ROOT/logs"
  pack --entrypoint '["/docker-entrypoint.sh"]' --cmd '["zkServer.sh","start-foreground"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$home/bin \
    --env ZOO_CONF_DIR=/conf --env ZOO_DATA_DIR=/data --env ZOO_DATA_LOG_DIR=/datalog --env ZOO_LOG_DIR=/logs \
    --env ZOO_TICK_TIME=2000 --env ZOO_INIT_LIMIT=5 --env ZOO_SYNC_LIMIT=2 --env ZOO_AUTOPURGE_PURGEINTERVAL=0 \
    --env ZOO_AUTOPURGE_SNAPRETAINCOUNT=3 --env ZOO_MAX_CLIENT_CNXNS=60 --env ZOO_STANDALONE_ENABLED=true \
    --env ZOO_ADMINSERVER_ENABLED=true --env ZOOCFGDIR=/conf --env JAVA_HOME=/usr/lib/jvm/java-21-openjdk-amd64 \
    --workdir "$home" --port 2181/tcp --port 2888/tcp --port 3888/tcp --port 8080/tcp \
    --volume /data --volume /datalog --volume /logs
}
