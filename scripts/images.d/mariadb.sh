# docker.io/library/mariadb:11.8.6. Upstream: MariaDB 11.8.6 from MariaDB's apt repository on
# ubuntu:noble with galera-4, mariadb-backup and socat, user mysql 999:999, datadir /var/lib/mysql (a
# volume), socket /run/mysqld/mysqld.sock, ENTRYPOINT docker-entrypoint.sh (first start: datadir
# initialised, root password from MARIADB_ROOT_PASSWORD[_FILE] for root@localhost and
# root@MARIADB_ROOT_HOST, mysql@localhost by unix_socket with MARIADB_MYSQL_LOCALHOST_GRANTS,
# MARIADB_DATABASE/USER/PASSWORD, /docker-entrypoint-initdb.d; a temporary server with
# --skip-networking --wsrep_on=OFF does it), CMD mariadbd, bind-address commented out and
# skip-name-resolve. Here: Debian trixie's mariadb-server 11.8 with galera-4, mariadb-backup and
# socat; our entrypoint with that first-start behaviour (no upgrade step, no healthcheck users).
REFS="docker.io/library/mariadb:11.8.6"
build() {
  debian trixie mariadb-server mariadb-client mariadb-backup galera-4 socat bash coreutils procps
  add_user mysql 999 /var/lib/mysql
  rm -rf "$ROOT/var/lib/mysql"
  mkdir -p "$ROOT/var/lib/mysql" "$ROOT/run/mysqld" "$ROOT/docker-entrypoint-initdb.d"
  chown 999:999 "$ROOT/var/lib/mysql" "$ROOT/run/mysqld"; chmod 1777 "$ROOT/run/mysqld"
  find "$ROOT/etc/mysql" -type f -name '*.cnf' -print0 | xargs -0 grep -lZE '^(bind-address|log|user\s)' \
    | xargs -r -0 sed -Ei 's/^(bind-address|log|user\s)/#&/'
  printf '[mariadb]\nhost-cache-size=0\nskip-name-resolve\n' > "$ROOT/etc/mysql/mariadb.conf.d/05-skipcache.cnf"
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh 0755
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["mariadbd"]' --port 3306/tcp --volume /var/lib/mysql --env LANG=C.UTF-8
}
