#!/bin/bash
# ZooKeeper's server launcher (ours: the distribution's script is in no registry). The same main
# class, variables (ZOOCFGDIR, ZOOCFG, ZOO_LOG_DIR, JVMFLAGS, SERVER_JVMFLAGS) and the two
# commands the image is used with: start-foreground, and status (srvr on the client port).
ZOOBINDIR="$(cd "$(dirname "$0")" && pwd)"; ZOOKEEPER_PREFIX="${ZOOBINDIR%/bin}"
ZOOCFGDIR="${ZOOCFGDIR:-$ZOOKEEPER_PREFIX/conf}"; ZOOCFG="${ZOOCFG:-zoo.cfg}"
case "$ZOOCFG" in /*) ;; *) ZOOCFG="$ZOOCFGDIR/$ZOOCFG" ;; esac
[ "$1" = --config ] && { ZOOCFGDIR="$2"; ZOOCFG="$2/zoo.cfg"; shift 2; }
CLASSPATH="$ZOOCFGDIR:$ZOOKEEPER_PREFIX/lib/*"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
case "${1:-}" in
  start-foreground)
    # shellcheck disable=SC2086
    exec "$JAVA" "-Dzookeeper.log.dir=${ZOO_LOG_DIR:-.}" "-Dzookeeper.log.file=zookeeper-server.log" \
      -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' \
      -cp "$CLASSPATH" $JVMFLAGS $SERVER_JVMFLAGS org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOOCFG" ;;
  status)
    port="$(sed -n 's/^clientPort=//p' "$ZOOCFG" | tail -1)"
    [ -n "$port" ] || port="$(sed -n 's/^server\.[0-9]*=.*;\([^:]*:\)\{0,1\}\([0-9]*\)$/\2/p' "$ZOOCFG" | head -1)"
    echo "Client port found: ${port:=2181}. Client address: localhost."
    out="$("$JAVA" -cp "$CLASSPATH" $CLIENT_JVMFLAGS org.apache.zookeeper.client.FourLetterWordMain localhost "$port" srvr 2>/dev/null)"
    mode="$(printf '%s\n' "$out" | sed -n 's/^Mode: //p')"
    if [ -n "$mode" ]; then echo "Mode: $mode"; exit 0; fi
    echo "Error contacting service. It is probably not running."; exit 1 ;;
  *) echo "Usage: $0 [--config <conf-dir>] {start-foreground|status}" >&2; exit 1 ;;
esac
