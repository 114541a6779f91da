# docker.io/curlimages/curl:8.14.1 (the credentials generator's image, in every bundle whose
# spec declares `credentials`). Upstream: curl 8.14.1 built by the curl project on Alpine, user
# curl_user 100:101, busybox sh, ENTRYPOINT /entrypoint.sh (runs curl), CMD curl. Here: Debian
# trixie's curl and ca-certificates with dash as /bin/sh, coreutils' tr, head, base64 and date, sed
# and mawk as awk (the generator's and the tls-reload CronJob's scripts are POSIX sh and use nothing
# else; busybox has each of them upstream); the same user and entrypoint contract.
REFS="docker.io/curlimages/curl:8.14.1"
build() {
  debian trixie dash coreutils sed mawk curl ca-certificates
  add_user curl_user 100 /home/curl_user
  mkdir -p "$ROOT/home/curl_user"; chown 100:101 "$ROOT/home/curl_user"
  printf '#!/bin/sh\nset -e\nif [ "${1#-}" != "$1" ]; then set -- curl "$@"; fi\nexec "$@"\n' > "$ROOT/entrypoint.sh"
  chmod 0755 "$ROOT/entrypoint.sh"
  pack --entrypoint '["/entrypoint.sh"]' --cmd '["curl"]' --user 100:101 --workdir /home/curl_user
}
