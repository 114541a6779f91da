# quay.io/coreos/etcd:v3.6.4. Upstream: etcd, etcdctl and etcdutl v3.6.4 in
# gcr.io/distroless/static-debian12 under /usr/local/bin, WORKDIR /var/lib/etcd, ports 2379/2380,
# CMD /usr/local/bin/etcd, no shell. Here: etcd and etcdctl v3.6.4 built from the Go
# module proxy (each through the same entry point as its upstream main package) in an empty root;
# no etcdutl (its command tree lives in its main package, which cannot be imported).
REFS="quay.io/coreos/etcd:v3.6.4"
build() {
  static_root
  go_main etcd etcd.go go.etcd.io/etcd/server/v3@v3.6.4
  go_main etcdctl etcdctl.go go.etcd.io/etcd/etcdctl/v3@v3.6.4
  mkdir -p "$ROOT/var/etcd" "$ROOT/var/lib/etcd"
  pack --cmd '["/usr/local/bin/etcd"]' --workdir /var/lib/etcd --port 2379/tcp --port 2380/tcp
}
