# docker.io/library/haproxy:3.0.11. Upstream: HAProxy built from source on debian's slim image,
# user haproxy 99:99, /usr/local/sbin/haproxy, ENTRYPOINT docker-entrypoint.sh, CMD haproxy -f
# /usr/local/etc/haproxy/haproxy.cfg, STOPSIGNAL SIGUSR1. Here: Debian trixie's haproxy 3.0.11, the
# binary linked into /usr/local/sbin, the same user and stop signal. The catalog runs it with its
# own command (/bin/sh, sed, haproxy), so the entrypoint script is not copied.
REFS="docker.io/library/haproxy:3.0.11"
build() {
  debian trixie haproxy
  add_user haproxy 99 /var/lib/haproxy
  mkdir -p "$ROOT/usr/local/sbin" "$ROOT/usr/local/etc/haproxy"
  ln -sf /usr/sbin/haproxy "$ROOT/usr/local/sbin/haproxy"
  pack --cmd '["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' --user haproxy --stopsignal SIGUSR1
}
