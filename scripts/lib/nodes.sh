# scripts/lib/nodes.sh - the real node tier of scripts/cluster (sourced by it; not run alone).
#
# `scripts/cluster start --nodes N` (N = 1..3) runs a whole Kubernetes cluster on this machine,
# confined to network namespaces it creates itself:
#
#   ossc-net      the "network": bridge br0 10.243.0.1/24, and the control plane on 10.243.0.1
#                 (etcd on its loopback, kube-apiserver :6443, controller-manager, scheduler,
#                 CoreDNS :53 with no forwarder). It has no default route: nothing leaves.
#   ossc-node-X   one per node (X = a, b, c): eth0 10.243.0.1N on br0, pod bridge cni0
#                 10.244.N.1/24, its own containerd (Debian's, runc), kubelet, kube-proxy
#                 (iptables mode) and NetworkPolicy engine (kube-router's firewall: iptables + ipset).
#                 Node name node-X, label topology.kubernetes.io/zone=X.
#
# The machine's own namespace gets no address, route or firewall rule: the only thing in it is
# a socat on 127.0.0.1:$NODE_API_PORT that enters ossc-net for each connection, so the printed
# KUBECONFIG works from the host. Processes run in their node's network namespace through
# `nsenter --net` (not `ip netns exec`, whose private mount namespace would hide the kubelet's
# volume mounts from containerd); the kubelet alone gets a mount namespace of its own, where
# the host sysctls it insists on setting are files of ours.
#
# Everything started is recorded by PID under $NODE_HOME/run and stopped by PID; stop removes the
# pod sandboxes through the CRI, the mounts under $NODE_HOME, the namespaces (their veths,
# iptables and nftables rules go with them) and the pod cgroups.

NODE_HOME="${KAS_NODE_HOME:-$KAS_HOME/nodes}"
NODE_API_PORT="${KAS_NODE_API_PORT:-26443}"
NODE_RUN="$NODE_HOME/run"
NODE_PKI="$NODE_HOME/pki"
NODE_KUBECONFIG="$NODE_HOME/kubeconfig"         # for the host, through the loopback forwarder
NODE_INNER_KUBECONFIG="$NODE_HOME/kubeconfig.in" # for processes inside the namespaces
NET_NS=ossc-net
ROUTER_IP=10.243.0.1
NODE_LETTERS=(a b c)
CNI_BIN_DIR="${KAS_CNI_BIN_DIR:-/usr/lib/cni}"

node_apt() {
  local need=() p
  for p in containerd runc containernetworking-plugins nftables iptables ipset conntrack socat mmdebstrap iproute2 util-linux; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    log "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # Debian's containerd package enables a system service; the tier runs its own per node.
  if command -v systemctl >/dev/null && systemctl is-active -q containerd 2>/dev/null; then
    log "note: a system containerd is running; the tier does not use or touch it"
  fi
}

in_ns() { local ns="$1"; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

node_pid_alive() { # $1 = name
  local pf="$NODE_RUN/$1.pid" pid
  pid="$(cat "$pf" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

node_spawn() { # $1 = name, $2 = netns ("" = host), rest = command
  local name="$1" ns="$2"; shift 2
  if node_pid_alive "$name"; then return 0; fi
  if [ -n "$ns" ]; then
    setsid nsenter --net="/run/netns/$ns" -- "$@" </dev/null >"$NODE_RUN/$name.log" 2>&1 &
  else
    setsid "$@" </dev/null >"$NODE_RUN/$name.log" 2>&1 &
  fi
  echo $! > "$NODE_RUN/$name.pid"
}

node_wait() { # $1 = what, $2 = seconds, $3 = pid name to watch, rest = test command
  local what="$1" secs="$2" watch="$3"; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$watch" ] && ! node_pid_alive "$watch"; then
      tail -30 "$NODE_RUN/$watch.log" >&2; die "$watch exited while waiting for $what (log: $NODE_RUN/$watch.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { [ -n "$watch" ] && tail -30 "$NODE_RUN/$watch.log" >&2; die "$what not ready after ${secs}s"; }
    sleep 0.2
  done
}

node_pki() {
  [ -s "$NODE_PKI/tokens.csv" ] && [ -s "$NODE_PKI/apiserver.crt" ] && return 0
  mkdir -p "$NODE_PKI"; chmod 700 "$NODE_PKI"
  (
    cd "$NODE_PKI"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -key ca.key -subj "/CN=ossc-node-tier-ca" -days 3650 -out ca.crt 2>/dev/null
    openssl genrsa -out apiserver.key 2048 2>/dev/null
    openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:%s,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' "$ROUTER_IP" > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -days 3650 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    printf '%s,ossc-admin,ossc-admin,"system:masters"\n' "$(openssl rand -hex 24)" > tokens.csv
    chmod 600 ./*.key tokens.csv
  )
}

node_kubeconfig() { # $1 = file, $2 = server
  local token; token="$(cut -d, -f1 "$NODE_PKI/tokens.csv")"
  (umask 077; cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ossc-nodes
  cluster:
    server: $2
    certificate-authority: $NODE_PKI/ca.crt
users:
- name: ossc-admin
  user:
    token: $token
contexts:
- name: ossc-nodes
  context:
    cluster: ossc-nodes
    user: ossc-admin
current-context: ossc-nodes
EOF
  )
}

node_network() { # $1 = node count
  local n="$1" i x
  ip netns add "$NET_NS"
  in_ns "$NET_NS" ip link set lo up
  in_ns "$NET_NS" ip link add br0 type bridge
  in_ns "$NET_NS" ip addr add "$ROUTER_IP/24" dev br0
  in_ns "$NET_NS" ip link set br0 up
  in_ns "$NET_NS" sysctl -qw net.ipv4.ip_forward=1
  for i in $(seq 1 "$n"); do
    x="${NODE_LETTERS[$((i-1))]}"
    ip netns add "ossc-node-$x"
    in_ns "$NET_NS" ip link add "veth-$x" type veth peer name eth0 netns "ossc-node-$x"
    in_ns "$NET_NS" ip link set "veth-$x" master br0 up
    in_ns "$NET_NS" ip route add "10.244.$i.0/24" via "10.243.0.1$i"
    in_ns "ossc-node-$x" ip link set lo up
    in_ns "ossc-node-$x" ip addr add "10.243.0.1$i/24" dev eth0
    in_ns "ossc-node-$x" ip link set eth0 up
    in_ns "ossc-node-$x" ip route add default via "$ROUTER_IP"
    in_ns "ossc-node-$x" sysctl -qw net.ipv4.ip_forward=1
    # the pod bridge is made here so the kernel's bridge netfilter hook (kube-proxy needs it
    # for hairpin Service traffic) can be enabled in this namespace before any pod starts
    in_ns "ossc-node-$x" ip link add cni0 type bridge
    in_ns "ossc-node-$x" ip addr add "10.244.$i.1/24" dev cni0
    in_ns "ossc-node-$x" ip link set cni0 up
    in_ns "ossc-node-$x" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
  done
}

node_cgroups() { # $1 = node letter: a cgroup root of its own in every v1 hierarchy
  local c d
  for c in /sys/fs/cgroup/*/; do
    [ -e "$c/cgroup.procs" ] || continue
    d="$c/ossc-node-$1"; mkdir -p "$d"
    if [ -e "$c/cpuset.cpus" ]; then cat "$c/cpuset.cpus" > "$d/cpuset.cpus"; cat "$c/cpuset.mems" > "$d/cpuset.mems"; fi
  done
}

node_cgroups_rm() { # $1 = node letter
  local c
  for c in /sys/fs/cgroup/*/ossc-node-"$1"; do
    [ -d "$c" ] || continue
    find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

node_write_configs() { # $1 = node index, $2 = letter
  local i="$1" x="$2" d="$NODE_HOME/node-$2"
  # a fresh cluster (etcd starts empty): nothing of a previous run but the image store is kept
  rm -rf "$d/kubelet" "$d/volumes" "$d/ipam" "$d/logs" "$d/containerd/state"
  mkdir -p "$d/cni" "$d/kubelet" "$d/logs" "$d/sysctl"
  cat > "$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  enable_selinux = false
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$d/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
EOF
  cat > "$d/cni/10-pods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ossc-pods",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$d/ipam",
              "ranges": [[{"subnet": "10.244.$i.0/24", "gateway": "10.244.$i.1"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
  echo "nameserver $ROUTER_IP" > "$d/resolv.conf"
  echo 1 > "$d/sysctl/overcommit_memory"; echo 10 > "$d/sysctl/panic"; echo 1 > "$d/sysctl/panic_on_oops"
  cat > "$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 10.243.0.1$i
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /ossc-node-$x
containerRuntimeEndpoint: unix://$d/containerd.sock
podLogsDir: $d/logs
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$ROUTER_IP]
resolvConf: $d/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
podPidsLimit: 4096
maxPods: 60
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
EOF
  cat > "$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_INNER_KUBECONFIG}
hostnameOverride: node-$x
bindAddress: 10.243.0.1$i
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: 10.244.0.0/16
iptables: {localhostNodePorts: false, masqueradeAll: false}
nodePortAddresses: ["10.243.0.1$i/32"]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

node_start_node() { # $1 = index, $2 = letter
  local i="$1" x="$2" d="$NODE_HOME/node-$2" ns="ossc-node-$2"
  node_write_configs "$i" "$x"
  node_cgroups "$x"
  node_spawn "containerd-$x" "$ns" containerd --config "$d/containerd.toml"
  node_wait "containerd on node-$x" 30 "containerd-$x" test -S "$d/containerd.sock"
  # the pause image: an image of ours under the name containerd's CRI asks for (scripts/images)
  "$NODE_IMAGES" import "$d/containerd.sock" pause
  mountpoint -q "$d/kubelet" || { mount --bind "$d/kubelet" "$d/kubelet"; mount --make-rshared "$d/kubelet"; }
  node_spawn "kubelet-$x" "$ns" unshare -m --propagation unchanged sh -c "
    mount --make-rprivate /proc
    mount --bind $d/sysctl/overcommit_memory /proc/sys/vm/overcommit_memory
    mount --bind $d/sysctl/panic /proc/sys/kernel/panic
    mount --bind $d/sysctl/panic_on_oops /proc/sys/kernel/panic_on_oops
    exec $BIN/kubelet --config=$d/kubelet.yaml --kubeconfig=$NODE_INNER_KUBECONFIG --root-dir=$d/kubelet \
      --hostname-override=node-$x --node-ip=10.243.0.1$i \
      --node-labels=topology.kubernetes.io/zone=$x,topology.kubernetes.io/region=ossc --v=${KAS_KUBELET_V:-1}"
  node_spawn "kube-proxy-$x" "$ns" "$BIN/kube-proxy" --config="$d/kube-proxy.yaml" --v=1
}

node_start() {
  local n="$NODES" i x t0; t0="$(now)"
  for x in kube-apiserver kubectl kubelet kube-controller-manager kube-scheduler kube-proxy coredns kube-router crictl; do
    [ -x "$BIN/$x" ] || die "$BIN/$x missing: run '$0 install --nodes $n' first"
  done
  command -v containerd >/dev/null && command -v runc >/dev/null && [ -x "$CNI_BIN_DIR/bridge" ] \
    || die "containerd, runc and the CNI plugins are needed: run '$0 install --nodes $n'"
  if ip netns list | grep -qw "$NET_NS"; then
    node_pid_alive kube-apiserver && { log "node tier already running"; echo "KUBECONFIG=$NODE_KUBECONFIG"; return 0; }
    die "network namespace $NET_NS exists but the tier is not running: run '$0 stop' first"
  fi
  # from here on everything is ours: a start that fails half-way stops what it started
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed: stopping what was started"; node_stop; fi' EXIT
  mkdir -p "$NODE_RUN"
  NODE_IMAGES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/images"
  "$NODE_IMAGES" build pause
  # pod network namespaces that exist before we start are not ours to remove at stop
  ls /run/netns 2>/dev/null | grep '^cni-' > "$NODE_RUN/netns-before" || true
  echo "$n" > "$NODE_RUN/nodes"
  node_pki
  node_kubeconfig "$NODE_KUBECONFIG" "https://127.0.0.1:$NODE_API_PORT"
  node_kubeconfig "$NODE_INNER_KUBECONFIG" "https://$ROUTER_IP:6443"
  node_network "$n"

  rm -rf "$NODE_RUN/etcd-data"
  local etcd_bin="${KAS_ETCD_BIN:-$BIN/etcd}"
  node_spawn etcd "$NET_NS" "$etcd_bin" --name ossc --data-dir "$NODE_RUN/etcd-data" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster ossc=http://127.0.0.1:2380 --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  node_wait etcd 30 etcd in_ns "$NET_NS" curl -sf http://127.0.0.1:2379/health
  node_spawn kube-apiserver "$NET_NS" "$BIN/kube-apiserver" \
    --bind-address="$ROUTER_IP" --advertise-address="$ROUTER_IP" --secure-port=6443 \
    --etcd-servers=http://127.0.0.1:2379 \
    --tls-cert-file="$NODE_PKI/apiserver.crt" --tls-private-key-file="$NODE_PKI/apiserver.key" \
    --client-ca-file="$NODE_PKI/ca.crt" --token-auth-file="$NODE_PKI/tokens.csv" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$NODE_PKI/sa.pub" --service-account-signing-key-file="$NODE_PKI/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --cert-dir="$NODE_RUN/certs" \
    --kubelet-preferred-address-types=InternalIP --profiling=false --v=1
  # the host reaches the API server only through this: one socat per connection enters ossc-net
  node_spawn api-forward "" socat "TCP-LISTEN:$NODE_API_PORT,bind=127.0.0.1,reuseaddr,fork" \
    "EXEC:nsenter --net=/run/netns/$NET_NS -- socat STDIO TCP\\:$ROUTER_IP\\:6443"
  local token; token="$(cut -d, -f1 "$NODE_PKI/tokens.csv")"
  node_wait kube-apiserver 180 kube-apiserver curl -sf --cacert "$NODE_PKI/ca.crt" -H "Authorization: Bearer $token" \
    "https://127.0.0.1:$NODE_API_PORT/readyz"
  log "kube-apiserver ready after $(elapsed "$t0") s"
  node_spawn kube-controller-manager "$NET_NS" "$BIN/kube-controller-manager" \
    --kubeconfig="$NODE_INNER_KUBECONFIG" --authentication-kubeconfig="$NODE_INNER_KUBECONFIG" \
    --authorization-kubeconfig="$NODE_INNER_KUBECONFIG" --bind-address=127.0.0.1 --secure-port=10257 \
    --leader-elect=false --service-account-private-key-file="$NODE_PKI/sa.key" --root-ca-file="$NODE_PKI/ca.crt" \
    --use-service-account-credentials=true --controllers='*,-nodeipam' \
    --cluster-signing-cert-file="$NODE_PKI/ca.crt" --cluster-signing-key-file="$NODE_PKI/ca.key" \
    --node-monitor-grace-period=20s --v=1
  node_spawn kube-scheduler "$NET_NS" "$BIN/kube-scheduler" --kubeconfig="$NODE_INNER_KUBECONFIG" \
    --authentication-kubeconfig="$NODE_INNER_KUBECONFIG" --authorization-kubeconfig="$NODE_INNER_KUBECONFIG" \
    --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --v=1
  sed "s#@KUBECONFIG@#$NODE_INNER_KUBECONFIG#; s#@BIND@#$ROUTER_IP#" > "$NODE_HOME/Corefile" <<'EOF'
.:53 {
    bind @BIND@
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig @KUBECONFIG@ ossc-nodes
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
  node_spawn coredns "$NET_NS" "$BIN/coredns" -conf "$NODE_HOME/Corefile"
  for i in $(seq 1 "$n"); do node_start_node "$i" "${NODE_LETTERS[$((i-1))]}"; done

  export KUBECONFIG="$NODE_KUBECONFIG"
  local k="$BIN/kubectl"
  # storage: a default class whose claims wait for their pod, so each volume is made on the
  # node the scheduler chose and pinned there (scripts/lib/provisioner.sh)
  "$k" apply --server-side -f - >/dev/null <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ossc-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ossc.dev/local-dir
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
allowVolumeExpansion: false
EOF
  node_spawn provisioner "" env KUBECONFIG="$NODE_KUBECONFIG" KUBECTL="$k" PV_ROOT="$NODE_HOME" \
    bash "$(dirname "${BASH_SOURCE[0]}")/provisioner.sh"
  "$(dirname "${BASH_SOURCE[0]}")/../cluster" crds
  node_wait "$n Ready nodes" 120 "" node_all_ready "$n"
  log "$n nodes Ready after $(elapsed "$t0") s"
  # NetworkPolicy: kube-router's firewall alone (no routing, no service proxy, no CNI), per node;
  # it looks its node up at start, so it starts once the node is registered
  for i in $(seq 1 "$n"); do
    x="${NODE_LETTERS[$((i-1))]}"
    node_spawn "netpol-$x" "ossc-node-$x" "$BIN/kube-router" --run-firewall=true --run-router=false \
      --run-service-proxy=false --enable-cni=false --enable-ipv6=false --kubeconfig="$NODE_INNER_KUBECONFIG" \
      --hostname-override="node-$x" --service-cluster-ip-range=10.96.0.0/16 --metrics-port=0 \
      --health-port=0 --iptables-sync-period=1m --v=1
  done
  sleep 2
  for i in $(seq 1 "$n"); do
    node_pid_alive "netpol-${NODE_LETTERS[$((i-1))]}" || { tail -5 "$NODE_RUN/netpol-${NODE_LETTERS[$((i-1))]}.log" >&2; die "kube-router on node-${NODE_LETTERS[$((i-1))]} exited"; }
  done
  "$k" get nodes -L topology.kubernetes.io/zone >&2
  trap - EXIT
  echo "KUBECONFIG=$NODE_KUBECONFIG"
}

node_all_ready() { # $1 = expected count
  local got
  got="$("$BIN/kubectl" --kubeconfig "$NODE_KUBECONFIG" get nodes \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c '^True$')"
  [ "$got" -eq "$1" ]
}

node_stop_pid() { # $1 = name
  local pf="$NODE_RUN/$1.pid" pid
  [ -f "$pf" ] || return 0
  pid="$(cat "$pf")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pf"
}

node_stop() {
  [ -d "$NODE_RUN" ] || return 0
  local x d
  node_stop_pid provisioner
  for x in "${NODE_LETTERS[@]}"; do node_stop_pid "kubelet-$x"; node_stop_pid "netpol-$x"; node_stop_pid "kube-proxy-$x"; done
  for x in "${NODE_LETTERS[@]}"; do
    d="$NODE_HOME/node-$x"
    if node_pid_alive "containerd-$x"; then
      # pod sandboxes through the CRI: CNI DEL, their network namespaces and mounts go too
      "$BIN/crictl" -r "unix://$d/containerd.sock" rmp -fa >/dev/null 2>&1 || true
    fi
    node_stop_pid "containerd-$x"
  done
  for x in coredns kube-scheduler kube-controller-manager api-forward kube-apiserver etcd; do node_stop_pid "$x"; done
  # containerd-shim processes of a killed containerd live on in their own session: end ours
  local p
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $NODE_HOME/" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  # mounts under the tier's home (kubelet volumes, container rootfs, shm), deepest first
  awk -v h="$NODE_HOME/" 'index($2, h) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # pod network namespaces our containerds made and did not remove
  local ns
  for ns in $(ls /run/netns 2>/dev/null | grep '^cni-'); do
    grep -qx "$ns" "$NODE_RUN/netns-before" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
  done
  for x in "${NODE_LETTERS[@]}"; do ip netns del "ossc-node-$x" 2>/dev/null || true; node_cgroups_rm "$x"; done
  ip netns del "$NET_NS" 2>/dev/null || true
  log "node tier stopped"
}

node_status() {
  [ -d "$NODE_RUN" ] || return 0
  local f n
  for f in "$NODE_RUN"/*.pid; do
    [ -e "$f" ] || continue
    n="$(basename "$f" .pid)"
    if node_pid_alive "$n"; then echo "$n: running (pid $(cat "$f"))"; else echo "$n: stopped"; fi
  done
}
