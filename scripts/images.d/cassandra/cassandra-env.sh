# cassandra-env.sh of this look-alike, sourced by bin/cassandra with JVM_OPTS holding the options
# files. Heap: MAX_HEAP_SIZE and HEAP_NEWSIZE together, or neither (then half the memory limit
# up to 1 GiB, or a quarter up to 8 GiB, whichever is larger, as upstream). HEAP_NEWSIZE is only
# applied when the collector is not G1 (G1, the Java 17 default here, sizes its young generation
# itself, as upstream). JMX listens on 127.0.0.1:7199 only (upstream's LOCAL_JMX=yes).
if [ -n "$MAX_HEAP_SIZE" ] && [ -z "$HEAP_NEWSIZE" ] || [ -z "$MAX_HEAP_SIZE" ] && [ -n "$HEAP_NEWSIZE" ]; then
  echo "please set or unset MAX_HEAP_SIZE and HEAP_NEWSIZE in pairs" >&2; exit 1
fi
if [ -z "$MAX_HEAP_SIZE" ]; then
  mem_mb=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 ))
  limit="$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max)"
  case "$limit" in max|'') ;; *) [ $(( limit / 1048576 )) -lt "$mem_mb" ] && mem_mb=$(( limit / 1048576 )) ;; esac
  half=$(( mem_mb / 2 )); [ "$half" -gt 1024 ] && half=1024
  quarter=$(( mem_mb / 4 )); [ "$quarter" -gt 8192 ] && quarter=8192
  MAX_HEAP_SIZE="$(( half > quarter ? half : quarter ))M"
  HEAP_NEWSIZE="$(( ${MAX_HEAP_SIZE%M} / 4 ))M"
fi
JVM_OPTS="$JVM_OPTS -Xms$MAX_HEAP_SIZE -Xmx$MAX_HEAP_SIZE"
case " $JVM_OPTS " in *" -XX:+UseG1GC "*) ;; *) JVM_OPTS="$JVM_OPTS -Xmn$HEAP_NEWSIZE" ;; esac
JVM_OPTS="$JVM_OPTS -javaagent:$CASSANDRA_HOME/lib/jamm-0.4.0.jar"
JVM_OPTS="$JVM_OPTS -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/var/lib/cassandra/heapdump.hprof"
JVM_OPTS="$JVM_OPTS -Dcassandra.jmx.local.port=7199 -Dcom.sun.management.jmxremote.authenticate=false"
JVM_OPTS="$JVM_OPTS $JVM_EXTRA_OPTS"
