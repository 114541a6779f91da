#!/bin/bash
# The first-start contract of the official mariadb image's entrypoint (docs/runtime.md), as
# the catalog's Galera example uses it; written here from its documented behaviour.
set -eo pipefail
shopt -s nullglob
note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
die() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }
file_env() { # VAR: from VAR, or the file VAR_FILE names
  local var="$1" file="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then die "both $var and $file are set"; fi
  if [ -n "${!file:-}" ]; then export "$var"="$(<"${!file}")"; fi
  unset "$file"
}
sql_string() { local s=${1//\\/\\\\}; echo "${s//\'/\\\'}"; }

if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi
note "Entrypoint script for MariaDB Server started (look-alike)"
DATADIR="$("$@" --verbose --help 2>/dev/null | awk '/^[^ \t]/ && $1 == "datadir" { print $2; exit }')"
SOCKET="$("$@" --verbose --help 2>/dev/null | awk '/^[^ \t]/ && $1 == "socket" { print $2; exit }')"
for v in MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MARIADB_USER MARIADB_DATABASE MARIADB_ROOT_HOST; do file_env "$v"; done
: "${MARIADB_ROOT_HOST:=%}"
mkdir -p "$DATADIR"
if [ ! -d "$DATADIR/mysql" ]; then
  [ -n "${MARIADB_ROOT_PASSWORD:-}" ] || [ -n "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ] \
    || die "Database is uninitialized and password option is not specified"
  note "Initializing database files"
  mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal --skip-test-db \
    --default-time-zone=SYSTEM --skip-log-bin --expire-logs-days=0 >/dev/null
  note "Starting temporary server"
  "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF --expire-logs-days=0 \
    --skip-slave-start --skip-ssl &
  pid=$!
  client() { mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --skip-ssl --skip-ssl-verify-server-cert "$@"; }
  for i in {30..0}; do if MYSQL_PWD='' client --database=mysql <<<'SELECT 1' &>/dev/null; then break; fi; sleep 1; done
  [ "$i" != 0 ] || die "Unable to start server."
  pw="$(sql_string "${MARIADB_ROOT_PASSWORD:-}")"
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
    echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD('$pw');"
    if [ "$MARIADB_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$pw';"
      echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
    fi
    if [ -n "${MARIADB_MYSQL_LOCALHOST_USER:-}" ]; then
      echo "CREATE USER mysql@localhost IDENTIFIED VIA unix_socket;"
      [ -z "${MARIADB_MYSQL_LOCALHOST_GRANTS:-}" ] || echo "GRANT $MARIADB_MYSQL_LOCALHOST_GRANTS ON *.* TO mysql@localhost;"
    fi
    echo "SET @@SESSION.SQL_LOG_BIN=1;"
    [ -z "${MARIADB_DATABASE:-}" ] || echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
    if [ -n "${MARIADB_USER:-}" ] && [ -n "${MARIADB_PASSWORD:-}" ]; then
      echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_string "$MARIADB_PASSWORD")';"
      [ -z "${MARIADB_DATABASE:-}" ] || echo "GRANT ALL ON \`${MARIADB_DATABASE//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
    fi
  } | MYSQL_PWD='' client --database=mysql
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) note "running $f"; . "$f" ;;
      *.sql) note "running $f"; MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-}" client < "$f" ;;
      *) note "ignoring $f" ;;
    esac
  done
  note "Stopping temporary server"
  kill "$pid"; wait "$pid"
  note "MariaDB init process done. Ready for start up."
fi
exec "$@"
