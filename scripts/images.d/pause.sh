# The pod sandbox image containerd's CRI asks for. Upstream: registry.k8s.io/pause (pause.c, a
# static process that sleeps and reaps); here the same few lines compiled with Debian's gcc.
REFS="registry.k8s.io/pause:3.10"
build() {
  static_root
  gcc -static -Os -s -o "$ROOT/pause" "$FILES/pause.c"
  pack --entrypoint '["/pause"]' --user 65535:65535
}
