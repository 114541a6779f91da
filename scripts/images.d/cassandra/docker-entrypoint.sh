#!/bin/bash
# The official cassandra image's entrypoint contract: with no arguments (or options only) run
# `cassandra -f`; as root, hand the data and configuration to the cassandra user first; then
# write CASSANDRA_* variables into $CASSANDRA_CONF/cassandra.yaml (seeds, broadcast_address,
# broadcast_rpc_address, cluster_name, endpoint_snitch, listen_address, num_tokens, rpc_address)
# and CASSANDRA_DC / CASSANDRA_RACK into cassandra-rackdc.properties. CASSANDRA_LISTEN_ADDRESS
# defaults to `auto`, the first non-loopback address; the broadcast addresses follow it.
set -e
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- cassandra -f "$@"; fi

if [ "$1" = cassandra ] && [ "$(id -u)" = 0 ]; then
  find "$CASSANDRA_CONF" /var/lib/cassandra /var/log/cassandra \! -user cassandra -exec chown cassandra '{}' +
  exec setpriv --reuid=cassandra --regid=cassandra --init-groups "$BASH_SOURCE" "$@"
fi

first_address() { # the first global IPv4 address of this container
  ip -4 -o address show scope global | awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}
# rewrite a file in place without replacing it (it may be a mounted file)
edit() { local f="$1" t; shift; t="$(mktemp)"; sed "$@" "$f" > "$t"; cat "$t" > "$f"; rm -f "$t"; }

if [ "$1" = cassandra ]; then
  : "${CASSANDRA_RPC_ADDRESS=0.0.0.0}"
  : "${CASSANDRA_LISTEN_ADDRESS=auto}"
  [ "$CASSANDRA_LISTEN_ADDRESS" = auto ] && CASSANDRA_LISTEN_ADDRESS="$(first_address)"
  : "${CASSANDRA_BROADCAST_ADDRESS=$CASSANDRA_LISTEN_ADDRESS}"
  [ "$CASSANDRA_BROADCAST_ADDRESS" = auto ] && CASSANDRA_BROADCAST_ADDRESS="$(first_address)"
  : "${CASSANDRA_BROADCAST_RPC_ADDRESS:=$CASSANDRA_BROADCAST_ADDRESS}"
  [ -n "${CASSANDRA_NAME:+1}" ] && : "${CASSANDRA_SEEDS:=cassandra}"
  : "${CASSANDRA_SEEDS:=$CASSANDRA_BROADCAST_ADDRESS}"
  edit "$CASSANDRA_CONF/cassandra.yaml" -r 's/(- seeds:).*/\1 "'"$CASSANDRA_SEEDS"'"/'
  for key in broadcast_address broadcast_rpc_address cluster_name endpoint_snitch listen_address \
             num_tokens rpc_address; do
    var="CASSANDRA_${key^^}"; val="${!var}"
    [ -n "$val" ] && edit "$CASSANDRA_CONF/cassandra.yaml" -r 's/^(# )?('"$key"':).*/\2 '"$val"'/'
  done
  for key in dc rack; do
    var="CASSANDRA_${key^^}"; val="${!var}"
    [ -n "$val" ] && edit "$CASSANDRA_CONF/cassandra-rackdc.properties" -r 's/^('"$key"'=).*/\1'"$val"'/'
  done
fi
exec "$@"
