# docker.io/library/rabbitmq:4.1.0. Upstream: RabbitMQ 4.1.0 built from source with its own Erlang
# on Ubuntu, in /opt/rabbitmq (sbin on PATH), user rabbitmq 999:999, HOME and RABBITMQ_DATA_DIR
# /var/lib/rabbitmq, /etc/rabbitmq/conf.d/10-defaults.conf, the rabbitmq_prometheus plugin enabled
# (port 15692), ENTRYPOINT docker-entrypoint.sh, CMD rabbitmq-server, ports 4369/5672/25672/15692.
# Here: Debian trixie's rabbitmq-server 4.0.5 (no registry serves 4.1.0; 4.0 is the nearest) with
# Debian's Erlang 27, the same user, paths, defaults file, plugin, entrypoint and ports.
REFS="docker.io/library/rabbitmq:4.1.0"
build() {
  debian trixie rabbitmq-server bash
  add_user rabbitmq 999 /var/lib/rabbitmq
  mkdir -p "$ROOT/etc/rabbitmq/conf.d" "$ROOT/var/lib/rabbitmq" "$ROOT/var/log/rabbitmq"
  rm -f "$ROOT/etc/rabbitmq/rabbitmq-env.conf"
  copy_in 10-defaults.conf /etc/rabbitmq/conf.d/10-defaults.conf 0644
  echo '[rabbitmq_prometheus].' > "$ROOT/etc/rabbitmq/enabled_plugins"
  chown -R 999:999 "$ROOT/etc/rabbitmq" "$ROOT/var/lib/rabbitmq" "$ROOT/var/log/rabbitmq"
  mkdir -p "$ROOT/opt"; ln -s "$(cd "$ROOT" && ls -d usr/lib/rabbitmq/lib/rabbitmq_server-*)" "$ROOT/opt/rabbitmq"
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["rabbitmq-server"]' \
    --env PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env HOME=/var/lib/rabbitmq --env RABBITMQ_DATA_DIR=/var/lib/rabbitmq --env RABBITMQ_LOGS=- \
    --env LANG=C.UTF-8 --port 4369/tcp --port 5672/tcp --port 25672/tcp --port 15692/tcp --volume /var/lib/rabbitmq
}
