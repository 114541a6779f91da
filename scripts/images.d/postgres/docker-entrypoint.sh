#!/usr/bin/env bash
# The official postgres image's entrypoint contract, rewritten: the same variables, first-start
# initialisation and hand-off; see docs/runtime.md for what differs.
set -Eeo pipefail

file_env() { # VAR [DEFAULT]: VAR or VAR_FILE (not both)
  local var="$1" fileVar="${1}_FILE" def="${2:-}"
  if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then echo >&2 "error: both $var and $fileVar are set (but are exclusive)"; exit 1; fi
  local val="$def"
  if [ "${!var:-}" ]; then val="${!var}"; elif [ "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"; fi
  export "$var"="$val"; unset "$fileVar"
}

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && ! printf '%s\n' "$@" | grep -qE '^(-C|--describe-config|-V|--version|--help|-\?)$'; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  mkdir -p "$PGDATA"; chmod 00700 "$PGDATA" 2>/dev/null || :
  mkdir -p /var/run/postgresql 2>/dev/null || :; chmod 03775 /var/run/postgresql 2>/dev/null || :
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
      echo >&2 'Error: Database is uninitialized and superuser password is not specified.'
      echo >&2 '       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust.'
      exit 1
    fi
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
    PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD" pg_ctl -D "$PGDATA" \
      -o "-c listen_addresses='' -p 5432" -w start
    export PGPASSWORD="$POSTGRES_PASSWORD"
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ "$POSTGRES_DB" != postgres ]; then
      "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<"CREATE DATABASE :\"db\";"
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
        *.sql.gz) gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
        *) ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    echo 'PostgreSQL init process complete; ready for start up.'
  else
    echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  fi
fi
exec "$@"
