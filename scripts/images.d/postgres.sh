# docker.io/library/postgres:17.5. Upstream: PostgreSQL 17.5 from the PGDG apt repository on
# debian:bookworm-slim, user postgres 999:999, PGDATA /var/lib/postgresql/data, ENTRYPOINT
# docker-entrypoint.sh (initdb with POSTGRES_USER / POSTGRES_PASSWORD[_FILE] / POSTGRES_DB /
# POSTGRES_INITDB_ARGS, scram-sha-256 host rule, /docker-entrypoint-initdb.d), CMD postgres,
# listen_addresses '*'. Here: Debian trixie's postgresql-17 (17.x, the nearest to 17.5 that a
# registry serves), the same user, paths, variables and first-start behaviour; no en_US locale.
REFS="docker.io/library/postgres:17.5"
build() {
  debian trixie postgresql-17
  rm -rf "$ROOT/etc/postgresql/17" "$ROOT/var/lib/postgresql/17"
  add_user postgres 999 /var/lib/postgresql
  mkdir -p "$ROOT/var/lib/postgresql/data" "$ROOT/var/run/postgresql" "$ROOT/docker-entrypoint-initdb.d"
  chown -R 999:999 "$ROOT/var/lib/postgresql" "$ROOT/var/run/postgresql"
  chmod 3777 "$ROOT/var/run/postgresql"; chmod 1777 "$ROOT/var/lib/postgresql/data"
  sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$ROOT/usr/share/postgresql/17/postgresql.conf.sample"
  grep -F "listen_addresses = '*'" "$ROOT/usr/share/postgresql/17/postgresql.conf.sample" >/dev/null
  local b; for b in "$ROOT"/usr/lib/postgresql/17/bin/*; do ln -sf "/usr/lib/postgresql/17/bin/$(basename "$b")" "$ROOT/usr/local/bin/"; done
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["postgres"]' --port 5432/tcp --volume /var/lib/postgresql/data \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin \
    --env PGDATA=/var/lib/postgresql/data --env PG_MAJOR=17 --stopsignal SIGINT
}
