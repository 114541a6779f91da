#!/bin/bash
# ZooKeeper's command-line client (ours: the distribution's script is in no registry).
ZOOBINDIR="$(cd "$(dirname "$0")" && pwd)"; ZOOKEEPER_PREFIX="${ZOOBINDIR%/bin}"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "${ZOOCFGDIR:-$ZOOKEEPER_PREFIX/conf}:$ZOOKEEPER_PREFIX/lib/*" \
  $CLIENT_JVMFLAGS org.apache.zookeeper.ZooKeeperMain "$@"
