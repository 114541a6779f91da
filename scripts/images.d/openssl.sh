# docker.io/alpine/openssl:3.5.8 (the TLS steps of the credentials generator, in bundles built with
# access.tls.enabled). Upstream: the alpine-docker project's image, Alpine's `openssl` package
# (3.5) on Alpine, busybox sh, ENTRYPOINT ["openssl"], no USER (the Job runs it as 100:101).
# Here: Debian trixie's openssl 3.5 with dash as /bin/sh; the same entrypoint.
REFS="docker.io/alpine/openssl:3.5.8"
build() {
  debian trixie dash coreutils openssl
  pack --entrypoint '["openssl"]'
}
