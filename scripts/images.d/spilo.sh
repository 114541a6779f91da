# ghcr.io/zalando/spilo-17:4.0-p3. Upstream (github.com/zalando/spilo, tag 4.0-p3,
# postgres-appliance/Dockerfile): ubuntu:22.04 with PostgreSQL 13 to 17 from PGDG and
# /usr/lib/postgresql/17/bin on PATH, Patroni 4.0.4 installed by pip (/usr/local/bin/patroni,
# patronictl), WAL-G, user postgres 101 in group 103 with home /home/postgres, ENTRYPOINT
# /bin/sh /launch.sh (runit, and configure_spilo.py writing Patroni's configuration from SPILO_*
# and PG* variables), LC_ALL en_US.utf-8. The catalog runs `patroni` with a configuration of its
# own, so only that contract matters: patroni and the PostgreSQL 17 binaries on PATH, the user,
# group and home; for the write-ahead log archive (backups), python3 with boto3 (upstream's
# python3-boto3, build_scripts/patroni_wale.sh). Here: Debian trixie's postgresql-17, patroni
# (4.0.x) and python3-boto3, linked into /usr/local/bin, the same user, group, home and PATH;
# LC_ALL C.UTF-8 (no en_US locale; the catalog's initdb asks for C.UTF-8 in both); launch.sh,
# runit and WAL-G are not copied.
REFS="ghcr.io/zalando/spilo-17:4.0-p3"
build() {
  debian trixie postgresql-17 patroni procps python3-boto3
  rm -rf "$ROOT/etc/postgresql/17" "$ROOT/var/lib/postgresql/17"
  sed -i '/^postgres:/d' "$ROOT/etc/passwd" "$ROOT/etc/group" "$ROOT/etc/shadow"
  echo "postgres:x:101:103:PostgreSQL administrator:/home/postgres:/bin/bash" >> "$ROOT/etc/passwd"
  echo "postgres:x:103:" >> "$ROOT/etc/group"
  echo "postgres:!:1::::::" >> "$ROOT/etc/shadow"
  mkdir -p "$ROOT/home/postgres" "$ROOT/var/run/postgresql" "$ROOT/usr/local/bin"
  chown -R 101:103 "$ROOT/home/postgres" "$ROOT/var/run/postgresql" "$ROOT/var/lib/postgresql"
  chmod 3777 "$ROOT/var/run/postgresql"
  ln -sf /usr/bin/patroni "$ROOT/usr/local/bin/patroni"
  ln -sf /usr/bin/patronictl "$ROOT/usr/local/bin/patronictl"
  pack --entrypoint '["/bin/sh", "-c", "exec patroni /home/postgres/postgres.yml"]' --port 5432/tcp --port 8008/tcp \
    --workdir /home/postgres --env PGHOME=/home/postgres --env LC_ALL=C.UTF-8 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin
}
