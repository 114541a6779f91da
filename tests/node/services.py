"""Per-service knowledge of the node tier: how each catalog service is lowered to fit this 2-core
machine (capacity only, by --set, in the tests only), how a real client writes and reads through
the client Service, how the tier tells that it got through, and how membership is counted.

Each entry:
  sets        --set flags for the test build (capacity and the knobs that follow it)
  write/read  (svc, key[, value]) -> runs the client in ossc-clients/client; read returns text
  read_op     (svc, key) -> a shell command that exits 0 when the read succeeds (load during faults)
  probe       (svc, pod, ns) -> CompletedProcess of a short connection attempt from another pod
  durable     whether data must survive pod loss (default: stateful)
  available   whether the service claims to keep answering with one member down (default: >1 replica)
  scale_to    replicas for the scale check (and members(svc) -> int), or scale_reason;
              scale_sets: the --set flags that raise it (default redundancy.replicas=scale_to)
  before      steps a consumer takes before applying (e.g. the Secret the spec needs)
  skip        the reason the service cannot run here (printed as a loud SKIPPED line)
"""
import secrets
import shlex

import conformance as c


def sh(svc, script, **kw):
    return c.sh(script, **kw)


def probe_cmd(cmd):
    def probe(svc, pod, ns):
        return c.sh(f"timeout 5 {cmd(svc)}", pod=pod, ns=ns, check=False, timeout=10)
    return probe


# ---- memcached: a cache; a set and a get on one connection (two pods behind one ClusterIP) ----
def mc_script(svc, key):
    return (f"printf 'set {key} 0 0 2\\r\\nv1\\r\\nget {key}\\r\\nquit\\r\\n' | "
            f"timeout 5 nc {svc.host()} 11211")


MEMCACHED = {
    "sets": ["capacity.cpu=100m", "capacity.memory=256Mi", "settings.cacheMemory=128Mi"],
    "write": lambda svc, key, val: None,
    "read": lambda svc, key: c.sh(mc_script(svc, key)).stdout,
    "read_op": lambda svc, key: mc_script(svc, key) + " | grep -q '^VALUE'",
    "probe": probe_cmd(lambda svc: f"bash -c 'echo version | nc -q1 {svc.host()} 11211 | grep -q VERSION'"),
    "durable": False,
    "function_note": "set and get on one connection through the client Service (a cache: nothing survives a pod)",
    "scale_to": 3,
    "scale_sets": ["scaling.autoscale.min=3"],  # an autoscaler owns the count: its floor is the knob
    "members": lambda svc: len([p for p in c.pods(svc.ns, svc.selector) if c.ready(p)]),
}

# ---- valkey: one instance; the append-only file must bring data back ----
def vk(svc, args):
    return f"valkey-cli -h {svc.host()} {args}"


VALKEY = {
    "sets": ["capacity.cpu=200m", "capacity.memory=256Mi", "capacity.storage=1Gi", "settings.maxMemory=128Mi"],
    "write": lambda svc, key, val: c.sh(vk(svc, f"set {key} {val}")),
    "read": lambda svc, key: c.sh(vk(svc, f"get {key}")).stdout,
    "read_op": lambda svc, key: f"timeout 5 {vk(svc, f'get {key}')} | grep -q v1",
    "probe": probe_cmd(lambda svc: vk(svc, "ping")),
    "available": False,
    "function_note": "SET/GET with valkey-cli through the client Service",
    "scale_reason": "the entry is a single instance (runtime.replicas.max 1: no failover manager)",
}

# ---- etcd: a three-member Raft cluster ----
def ec(svc, args):
    return f"ETCDCTL_API=3 etcdctl --dial-timeout=3s --command-timeout=5s --endpoints=http://{svc.host()}:2379 {args}"


ETCD = {
    "sets": ["capacity.cpu=200m", "capacity.memory=512Mi", "capacity.storage=1Gi", "settings.backendQuota=512Mi"],
    "write": lambda svc, key, val: c.sh(ec(svc, f"put {key} {val}")),
    "read": lambda svc, key: c.sh(ec(svc, f"get {key} --print-value-only --consistency=l")).stdout,
    "read_op": lambda svc, key: f"{ec(svc, f'get {key} --print-value-only')} | grep -q v1",
    "probe": probe_cmd(lambda svc: ec(svc, "endpoint health")),
    "function_note": "put/get (linearizable read) with etcdctl through the client Service",
    "scale_reason": "the spec says membership is fixed at bootstrap (scaling.automatic false): members are added "
                    "with `etcdctl member add` first; see the closing note of issue 16",
    "members": lambda svc: len(c.sh(ec(svc, "member list")).stdout.strip().splitlines()),
}

# ---- postgres: one instance; the consumer brings the credentials Secret (see specs/postgres.yaml) ----
PG_PASSWORD = secrets.token_hex(16)


def pg_secret(svc):
    c.k("create", "namespace", svc.ns, check=False)
    c.k("create", "secret", "generic", f"{svc.name}-credentials", "-n", svc.ns,
        f"--from-literal=password={PG_PASSWORD}", check=False)


def pg(svc, sql):
    return (f"PGPASSWORD={PG_PASSWORD} PGCONNECT_TIMEOUT=5 psql -h {svc.host()} -U postgres -d postgres "
            f"-v ON_ERROR_STOP=1 -tAc {shlex.quote(sql)}")


POSTGRES = {
    "sets": ["capacity.cpu=250m", "capacity.memory=512Mi", "capacity.storage=1Gi", "settings.sharedBuffers=128Mi"],
    "before": [pg_secret],
    "write": lambda svc, key, val: c.sh(pg(svc, "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text); "
                                               f"INSERT INTO kv VALUES ('{key}', '{val}') ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v")),
    "read": lambda svc, key: c.sh(pg(svc, f"SELECT v FROM kv WHERE k = '{key}'")).stdout,
    "read_op": lambda svc, key: pg(svc, f"SELECT v FROM kv WHERE k = '{key}'") + " | grep -q v1",
    "probe": probe_cmd(lambda svc: pg(svc, "SELECT 1")),
    "available": False,
    "function_note": "SQL CREATE/INSERT/SELECT with psql (scram-sha-256) through the client Service",
    "scale_reason": "the entry is a single instance (runtime.replicas.max 1; HA postgres is issue 19)",
}

# ---- function: the default HTTP image behind an autoscaled Deployment ----
def fn_get(svc):
    return f"curl -sf --max-time 5 http://{svc.host()}:8080/"


FUNCTION = {
    "sets": ["capacity.cpu=100m", "capacity.memory=128Mi"],
    "write": lambda svc, key, val: None,
    "read": lambda svc, key: c.sh(fn_get(svc) + " | grep -q 'Welcome to nginx' && echo v1").stdout,
    "read_op": lambda svc, key: fn_get(svc) + " >/dev/null",
    "probe": probe_cmd(fn_get),
    "durable": False,
    "function_note": "HTTP GET through the client Service answered by the function's image",
    "scale_to": 3,
    "scale_sets": ["scaling.autoscale.min=3"],  # an autoscaler owns the count: its floor is the knob
    "members": lambda svc: len([p for p in c.pods(svc.ns, svc.selector) if c.ready(p)]),
}

SERVICES = {
    "memcached": MEMCACHED,
    "valkey": VALKEY,
    "function": FUNCTION,
    "etcd": ETCD,
    "postgres": POSTGRES,
}
