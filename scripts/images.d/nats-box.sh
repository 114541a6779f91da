# docker.io/natsio/nats-box:0.19.5 (NATS's backup and restore pods, in a nats bundle whose consumer
# sets `backup`). Upstream (github.com/nats-io/nats-box, tag v0.19.5, Dockerfile and
# docker-bake.hcl): Alpine 3.23 with the NATS CLI (natscli v0.4.0), nats-top, nsc and nk built by
# `go install` into /usr/local/bin, busybox sh, curl and jq, user nats 1000:1000,
# XDG_CONFIG_HOME=/nsc/.config, ENTRYPOINT /entrypoint.sh (runs its arguments). The backup
# commands run `/bin/sh -c` with the `nats` CLI and coreutils alone. Here: Debian trixie with dash
# as /bin/sh and coreutils, and natscli v0.4.0 built from the Go module proxy (the same release);
# the same user and environment; nats-top, nsc, nk, curl and jq are not copied.
REFS="docker.io/natsio/nats-box:0.19.5"
build() {
  debian trixie dash coreutils ca-certificates
  add_user nats 1000 /home/nats
  mkdir -p "$ROOT/home/nats" "$ROOT/nsc"; chown 1000:1000 "$ROOT/home/nats"; chown 1000:0 "$ROOT/nsc"
  go_bin github.com/nats-io/natscli/nats@v0.4.0 nats
  printf '#!/bin/sh\nexec "$@"\n' > "$ROOT/entrypoint.sh"
  chmod 0755 "$ROOT/entrypoint.sh"
  pack --entrypoint '["/entrypoint.sh"]' --workdir /root --env XDG_CONFIG_HOME=/nsc/.config --env XDG_DATA_HOME=/nsc \
    --env NKEYS_PATH=/nsc/nkeys
}
