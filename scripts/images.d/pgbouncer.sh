# docker.io/edoburu/pgbouncer:v1.24.1-p1 (examples/pgbouncer.yaml). Upstream: PgBouncer 1.24.1
# built from its release tarball on Alpine, /usr/bin/pgbouncer, psql (postgresql-client), USER
# postgres (Alpine's uid 70), ENTRYPOINT /entrypoint.sh (a pgbouncer.ini from DB_* variables),
# CMD pgbouncer /etc/pgbouncer/pgbouncer.ini, port 5432. Here: Debian trixie's pgbouncer 1.24.1
# (the same release) and postgresql-client, the same user and binary path; the example replaces
# the entrypoint (its own /bin/sh script writes the configuration), so ours only runs its
# arguments.
REFS="docker.io/edoburu/pgbouncer:v1.24.1-p1"
build() {
  debian trixie pgbouncer,postgresql-client
  add_user postgres 70
  ln -sf /usr/sbin/pgbouncer "$ROOT/usr/bin/pgbouncer"
  printf '#!/bin/sh\nexec "$@"\n' > "$ROOT/entrypoint.sh"; chmod 0755 "$ROOT/entrypoint.sh"
  pack --entrypoint '["/entrypoint.sh"]' --cmd '["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]' --user 70:70 --port 5432/tcp
}
