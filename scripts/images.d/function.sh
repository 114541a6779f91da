# docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine. Upstream: nginx 1.28.0 on Alpine, user
# nginx 101:101, listens on 8080, pid and temp files under /tmp, serves /usr/share/nginx/html.
# Here: Debian trixie's nginx (1.26, the nearest: Debian has no 1.28), the same user, port,
# paths and configuration layout; ENTRYPOINT /docker-entrypoint.sh runs /docker-entrypoint.d/.
REFS="docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine"
build() {
  debian trixie nginx
  add_user nginx 101
  rm -f "$ROOT"/etc/nginx/sites-enabled/* "$ROOT"/etc/nginx/conf.d/*
  copy_in nginx.conf /etc/nginx/nginx.conf 0644
  copy_in default.conf /etc/nginx/conf.d/default.conf 0644
  mkdir -p "$ROOT/usr/share/nginx/html" "$ROOT/docker-entrypoint.d"
  copy_in index.html /usr/share/nginx/html/index.html 0644
  copy_in docker-entrypoint.sh /docker-entrypoint.sh
  ln -sf /usr/sbin/nginx "$ROOT/usr/local/bin/nginx"
  pack --entrypoint '["/docker-entrypoint.sh"]' --cmd '["nginx","-g","daemon off;"]' --user 101 --port 8080/tcp --stopsignal SIGQUIT
}
