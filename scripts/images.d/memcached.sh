# docker.io/library/memcached:1.6.38 (Debian-based variant). Upstream: memcached built from source
# on debian:trixie-slim, user memcache 11211:11211, ENTRYPOINT docker-entrypoint.sh, CMD memcached.
# Here: Debian trixie's memcached 1.6.38 package, the same user and entrypoint contract.
REFS="docker.io/library/memcached:1.6.38"
build() {
  debian trixie memcached
  add_user memcache 11211
  copy_in docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
  ln -sf /usr/bin/memcached "$ROOT/usr/local/bin/memcached"
  pack --entrypoint '["docker-entrypoint.sh"]' --cmd '["memcached"]' --user memcache --port 11211/tcp
}
