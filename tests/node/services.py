"""Per-service knowledge of the node tier: how each catalog service is lowered to fit this 2-core
machine (capacity only, by --set, in the tests only), how a real client writes and reads through
the client Service, how the tier tells that it got through, and how membership is counted.

Each entry:
  sets        --set flags for the test build (capacity and the knobs that follow it)
  write/read  (svc, key[, value]) -> runs the client in ossc-clients/client; read returns text
  read_op     (svc, key) -> a shell command that exits 0 when the read succeeds (load during faults)
  read_session  (svc, stop_file) -> instead of read_op: a script keeping one client session open
              that prints ok/err per read until stop_file exists (in session_pod, default load_pod)
  probe       (svc, pod, ns) -> CompletedProcess of a short connection attempt from another pod
  durable     whether data must survive pod loss (default: stateful)
  available   whether the service claims to keep answering with one member down (default: >1 replica)
  scale_to    replicas for the scale check (and members(svc) -> int), or scale_reason;
              scale_sets: the --set flags that raise it (default redundancy.replicas=scale_to);
              before_scale: steps (svc, target) the spec's procedure takes before raising it
  before      steps a consumer takes before applying (e.g. the Secret the spec needs)
  skip        the reason the service cannot run here (printed as a loud SKIPPED line)
  known_failures  {check: what was observed}: a defect found and not fixed yet; SKIPPED, loudly
"""
import base64
import json
import re
import secrets
import shlex
import time
import types

import conformance as c


def sh(svc, script, **kw):
    return c.sh(script, **kw)


def bind(svc):
    """The service's binding Secret, decoded (read once: it does not change during a run). The
    clients below connect with nothing else."""
    if not getattr(svc, "_binding", None):
        svc._binding = svc.binding()
    if not svc._binding:
        raise c.Failure(f"no binding Secret {svc.name}-binding")
    return svc._binding


def save_ca(b, path):
    """A shell prefix that writes the binding's ca.crt to `path` (what a client does with it)."""
    return f"printf %s {shlex.quote(b['ca.crt'])} > {path} && "


def ready_pods(svc):
    """Members of a service whose members are just its pods (stateless, autoscaled)."""
    return len([p for p in c.pods(svc.ns, svc.selector) if c.ready(p)])


def tcp_probe(port):
    """A connection attempt to the client Service's port (for protocols without a cheap ping)."""
    def probe(svc, pod, ns):
        return c.sh(f"timeout 5 bash -c 'exec 3<>/dev/tcp/{svc.host()}/{port}'", pod=pod, ns=ns, check=False, timeout=10)
    return probe


def ids_missing(acked, select):
    """A shell command that counts the ids in the file `acked` (first column) that the command
    `select` does not print: the acknowledged writes lost (the failover check). It fails when
    `select` does, so that an unanswered read is never counted as every write lost."""
    return (f"got=$({select}) || {{ echo 'reading the writes back failed' >&2; exit 3; }}; "
            f"comm -23 <(cut -d' ' -f1 {acked} | sort) <(printf '%s\\n' \"$got\" | sort) | wc -l")


def probe_cmd(cmd, secs=5):
    """A short connection attempt from another pod: cmd(svc) under `timeout secs`."""
    def probe(svc, pod, ns):
        return c.sh(f"timeout {secs} {cmd(svc)}", pod=pod, ns=ns, check=False, timeout=secs + 5)
    return probe


# ---- memcached: a cache; a set and a get on one connection (two pods behind one ClusterIP) ----
def mc_script(svc, key, val="v1"):
    """A set and a get on one connection to the client Service (a cache: each connection may
    reach another replica): with nc, or with TLS on (the binding has ca.crt) with openssl's
    s_client, verifying the server's name against that CA."""
    b = bind(svc)
    send = f"printf 'set {key} 0 0 {len(val)}\\r\\n{val}\\r\\nget {key}\\r\\nquit\\r\\n'"
    if "ca.crt" not in b:
        return f"{send} | timeout 5 nc {svc.host()} 11211"
    return (f"{save_ca(b, '/tmp/mc-ca.crt')}{send} | timeout 5 openssl s_client -quiet "
            f"-CAfile /tmp/mc-ca.crt -verify_return_error -verify_hostname {svc.host()} -connect {svc.host()}:11211 2>/dev/null")


MEMCACHED = {
    "metrics_series": r"^ossc_standin_target_up\{[^}]*\} 1$",
    "metrics_note": " (a STAND-IN exporter image: this proves the port, the policy and the exporter's reach to the software, not the real exporter's series)",
    "sets": ["capacity.cpu=100m", "capacity.memory=256Mi", "settings.cacheMemory=128Mi"],
    # what a key was last set to: a read sets it again and gets it, on one connection
    "write": lambda svc, key, val: svc.__dict__.setdefault("_mc", {}).__setitem__(key, val),
    "read": lambda svc, key: c.sh(mc_script(svc, key, svc.__dict__.get("_mc", {}).get(key, "v1"))).stdout,
    "read_op": lambda svc, key: mc_script(svc, key) + " | grep -q '^VALUE'",
    "probe": probe_cmd(lambda svc: f"bash -c 'echo version | nc -q1 {svc.host()} 11211 | grep -q VERSION'"),
    "durable": False,
    "function_note": "set and get on one connection through the client Service (a cache: nothing survives a pod)",
    # with TLS on: the protocol in clear (memcached closes the connection at the failed handshake)
    "plaintext": lambda svc: f"printf 'version\\r\\n' | timeout 5 nc -w 3 {svc.host()} 11211 | grep -q VERSION",
    "scale_to": 3,
    "scale_sets": ["scaling.autoscale.min=3"],  # an autoscaler owns the count: its floor is the knob
    "members": ready_pods,
}

# ---- valkey: a primary, two replicas, Sentinel and HAProxy in every pod ----
def vk(svc, args, plain=False):
    """valkey-cli with the binding's uri; with TLS on (a rediss:// uri and ca.crt), verifying
    the server against the binding's CA (`plain`: the same user and password without TLS,
    which the TLS-only port must refuse)."""
    b = bind(svc)
    if "ca.crt" in b and not plain:
        return f"{save_ca(b, '/tmp/vk-ca.crt')}valkey-cli -u {shlex.quote(b['uri'])} --cacert /tmp/vk-ca.crt {args}"
    uri = b["uri"].replace("rediss://", "redis://", 1) if plain else b["uri"]
    return f"valkey-cli -u {shlex.quote(uri)} {args}"


def vk_in_pod(svc, pod, args, check=True):
    """valkey-cli ARGS inside a member's own container: the password is in its REDISCLI_AUTH,
    and with TLS on its VALKEY_TLS_ARGS has the TLS options (empty otherwise)."""
    return c.k("exec", "-n", svc.ns, pod, "-c", svc.container, "--", "sh", "-c", f"valkey-cli $VALKEY_TLS_ARGS {args}", check=check)


def vk_role(svc, pod):
    """What `ROLE` says in the pod's own valkey-server (port 6380 is the member's own)."""
    p = vk_in_pod(svc, pod, "-p 6380 role", check=False)
    return p.stdout.split("\n", 1)[0].strip() if p.returncode == 0 else ""


def vk_links_tls(svc):
    """With TLS on, valkey-server and the Sentinels listen for TLS only (no plain port): replicas
    online at the primary and Sentinels that know each other prove replication and Sentinel to
    Sentinel over TLS; a plain ping to a member is refused."""
    seen = ""
    for _ in range(30):
        primary = vk_primary(svc)
        info = vk_in_pod(svc, primary, "-p 6380 info replication").stdout
        online = sum(1 for line in info.splitlines() if line.startswith("slave") and "state=online" in line)
        known = [line.strip() for line in vk_in_pod(svc, primary, f"-p 26379 sentinel sentinels {svc.name}").stdout.splitlines()]
        others = sum(1 for i, line in enumerate(known) if line == "name" and i + 1 < len(known))
        seen = f"{online} replicas online, {others} other Sentinels known"
        if online == svc.replicas - 1 and others == svc.replicas - 1:
            break
        time.sleep(2)
    else:
        raise c.Failure(f"over TLS at {primary}: {seen}, wanted {svc.replicas - 1} each")
    plain = c.k("exec", "-n", svc.ns, primary, "-c", svc.container, "--", "valkey-cli", "-p", "6380", "ping", check=False)
    if "PONG" in plain.stdout:
        raise c.Failure("valkey-server answered a plain ping with TLS on")
    return f"{seen} at {primary}, with no plain port (a plain ping refused)"


def vk_primary(svc):
    """The one Ready member whose valkey-server says `master`. Asked again for up to 30 s: right
    after a failover every pod may be briefly unready (each pod's readiness includes its
    HAProxy, which has no primary until its checks see the promoted one; CI once asked in that
    moment and found none, while the failover had completed)."""
    deadline = time.time() + 30
    while True:
        found = [p["metadata"]["name"] for p in c.pods(svc.ns, svc.selector)
                 if c.ready(p) and vk_role(svc, p["metadata"]["name"]) == "master"]
        if len(found) == 1:
            return found[0]
        if time.time() > deadline:
            raise c.Failure(f"{len(found)} Ready members say they are the primary: {found} (for 30 s)")
        time.sleep(2)


def vk_members(svc):
    """The primary and the replicas it has online (its INFO replication)."""
    for _ in range(30):
        try:
            primary = vk_primary(svc)
            info = vk_in_pod(svc, primary, "-p 6380 info replication").stdout
            online = sum(1 for line in info.splitlines() if line.startswith("slave") and "state=online" in line)
            if online + 1 == svc.replicas:
                return online + 1
        except c.Failure:
            online = -1
        time.sleep(3)
    return online + 1


def vk_drill(name, args):
    uri = c.secret_data(c.CLIENT_NS, f"{name}-binding")["uri"]
    return c.sh(f"valkey-cli -u {shlex.quote(uri)} {args}", timeout=60).stdout.strip()


def vk_drill_fill(name):
    vk_drill(name, "eval " + shlex.quote("for i = 1, 1000 do redis.call('SET', 'k' .. i, i * 7) end "
                                         "redis.call('HSET', 'order:1', 'state', 'paid') return 1") + " 0")


def vk_drill_digest(name, probe=False):
    if probe:
        return vk_drill(name, "ping")
    return (vk_drill(name, "eval " + shlex.quote("local s = 0 for i = 1, 1000 do s = s + tonumber(redis.call('GET', 'k' .. i) or 0) end "
                                                 "return redis.call('DBSIZE') .. ' keys, sum ' .. s .. ', order:1 ' .. "
                                                 "(redis.call('HGET', 'order:1', 'state') or 'missing')") + " 0"),)


def vk_election(svc, old):
    """The surviving Sentinels' log lines of the failover: elections started (+try-failover),
    lost to a split vote (-failover-abort-not-elected), won (+elected-leader)."""
    counts = {"+try-failover": 0, "-failover-abort-not-elected": 0, "+elected-leader": 0}
    for i in range(svc.replicas):
        pod = f"{svc.name}-{i}"
        if pod == old:
            continue
        out = c.k("logs", "-n", svc.ns, pod, "-c", "sentinel", "--since=3m", check=False).stdout
        for line in out.splitlines():
            for key in counts:
                if f" {key} " in f" {line} ":
                    counts[key] += 1
    return (f"the Sentinels' logs: {counts['+try-failover']} elections started, "
            f"{counts['-failover-abort-not-elected']} lost to a split vote, {counts['+elected-leader']} won")


VALKEY = {
    # the backup drill (under minio): restored by seeding the new instance's data directory
    "drill": {"fill": vk_drill_fill, "digest": vk_drill_digest, "files": {"dump.rdb"}, "note": "1000 keys and a hash"},
    "metrics_series": r"^redis_up 1$",
    "failover_log": vk_election,
    "sets": ["capacity.cpu=200m", "capacity.memory=256Mi", "capacity.storage=1Gi", "settings.maxMemory=128Mi"],
    "write": lambda svc, key, val: c.sh(vk(svc, f"set {key} {val}")),
    "read": lambda svc, key: c.sh(vk(svc, f"get {key}")).stdout,
    "read_op": lambda svc, key: f"timeout 5 {vk(svc, f'get {key}')} | grep -q v1",
    "probe": probe_cmd(lambda svc: vk(svc, "ping")),
    "function_note": "SET/GET with valkey-cli through the client Service (HAProxy to the primary), authenticated with the binding's uri",
    "unauthenticated": lambda svc: f"valkey-cli -h {svc.host()} ping | grep -q PONG",
    # with TLS on: the binding's user and password over a plain connection to the TLS-only port
    "plaintext": lambda svc: f"timeout 10 {vk(svc, 'ping', plain=True)} | grep -q PONG",
    "peer_tls": vk_links_tls,
    # the failover check: who is primary, a write the client loop makes (`$i` is its counter),
    # and how many of the acknowledged ones (ids in file f) are missing afterwards
    "primary": vk_primary,
    "failover_write": lambda svc: f"timeout 2 {vk(svc, 'set fo:$i $i')} 2>/dev/null | grep -q '^OK'",
    # the values read back (each write's value is its id), through the SQL services' count
    # (`ids_missing`). valkey-cli exits 0 whatever the server answers, so a read that met an
    # error (a connection closed between primaries, LOADING) once counted every acknowledged
    # write as lost (a whole run, stop 46): the read fails, and is tried again, unless every
    # reply is a number or empty (a key missing), one per write; the others go to stderr
    "failover_missing": lambda svc, f: ids_missing(f, (
        f"cut -d' ' -f1 {f} | sed 's/^/GET fo:/' | {vk(svc, '')} > {f}.got && "
        f"[ \"$(wc -l < {f}.got)\" = \"$(wc -l < {f})\" ] && ! grep -vE '^[0-9]*$' {f}.got >&2 && cat {f}.got")),
    "failover_bound": 30,  # seconds to a new primary serving writes
    "scale_to": 5,
    "scale_note": " (the primary's INFO replication lists every other member online)",
    "members": vk_members,
}

# ---- etcd: a three-member Raft cluster ----
def ec(svc, args, auth=True, plain=False):
    """etcdctl through the client Service at the binding's uri, as the binding's user (or as
    nobody); with TLS on, verifying the server against the binding's ca.crt (`plain`: the same
    over http, which a TLS-only server must refuse)."""
    b = bind(svc)
    user = f" --user {shlex.quote(b['username'])} --password {shlex.quote(b['password'])}" if auth else ""
    ca = "" if plain or "ca.crt" not in b else save_ca(b, "/tmp/etcd-ca.crt")
    endpoint = f"http://{svc.host()}:2379" if plain else b["uri"]
    return (f"{ca}env ETCDCTL_API=3 etcdctl --dial-timeout=3s --command-timeout=5s --endpoints={shlex.quote(endpoint)}"
            f"{' --cacert /tmp/etcd-ca.crt' if ca else ''}{user} {args}")


def etcd_member_add(svc, member):
    url = f"http://{member}.{svc.name}-peers.{svc.ns}.svc:2380"
    return (f"for i in $(seq 45); do {ec(svc, 'member list')} | grep -qF '{url}' && exit 0; "
            f"{ec(svc, f'member add {member} --peer-urls={url}')} && exit 0; sleep 2; done; exit 1")


def etcd_drill(name, args):
    """etcdctl against the drill's instance `name`, as the root user of its binding."""
    b = c.secret_data(c.CLIENT_NS, f"{name}-binding")
    return c.sh(f"env ETCDCTL_API=3 etcdctl --dial-timeout=3s --command-timeout=30s --endpoints={shlex.quote(b['uri'])} "
                f"--user {shlex.quote(b['username'])} --password {shlex.quote(b['password'])} {args}", timeout=90).stdout.strip()


def etcd_drill_fill(name):
    # 1200 keys in transactions of 100 (more than one page of the backup's 1001), one with an
    # empty value and one whose key and value have spaces, quotes and commas
    for b in range(12):
        etcd_drill(name, f"txn < <(echo; for i in $(seq {b * 100 + 1} {b * 100 + 100}); do echo \"put /drill/k$i $((i * 7))\"; done; echo; echo)")
    etcd_drill(name, "put /drill/empty ''")
    etcd_drill(name, "put '/drill/order 1' 'paid, \"in full\"'")


def etcd_drill_digest(name, probe=False):
    if probe:
        return etcd_drill(name, "get /drill/none")
    return (etcd_drill(name, "get '' --from-key | md5sum | cut -d' ' -f1"),
            etcd_drill(name, "get '' --from-key --keys-only | grep -c .") + " keys")


ETCD = {
    # the backup drill (under minio): a logical backup of the key space, restored by a Job
    "drill": {"fill": etcd_drill_fill, "digest": etcd_drill_digest, "files": {"kvs", "revision"},
              "note": "1202 keys, one with an empty value"},
    "metrics_series": r"^etcd_server_has_leader 1$",
    "sets": ["capacity.cpu=200m", "capacity.memory=512Mi", "capacity.storage=1Gi", "settings.backendQuota=512Mi"],
    "write": lambda svc, key, val: c.sh(ec(svc, f"put {key} {val}")),
    "read": lambda svc, key: c.sh(ec(svc, f"get {key} --print-value-only --consistency=l")).stdout,
    "read_op": lambda svc, key: f"{ec(svc, f'get {key} --print-value-only')} | grep -q v1",
    "probe": probe_cmd(lambda svc: ec(svc, "endpoint health")),
    "function_note": "put/get (linearizable read) with etcdctl through the client Service, as the binding's user",
    "unauthenticated": lambda svc: ec(svc, "get /ossc --print-value-only", auth=False),
    # with TLS on: the binding's user and password over plain http
    "plaintext": lambda svc: ec(svc, "get k1 --print-value-only", plain=True),
    # growth as the spec's scaling reason says: `member add` for the next member, then one more
    # replica started with initialClusterState=existing
    "scale_to": 4,
    # etcd refuses `member add` ("unhealthy cluster") until every member has been connected for
    # 5 s, as after a whole-service start: an operator retries, and so does this, for up to 90 s;
    # a member already added (a retry after a lost answer) is not added twice
    "before_scale": [lambda svc, n: c.sh(etcd_member_add(svc, f"{svc.name}-{n - 1}"), timeout=100)],
    "scale_sets": ["redundancy.replicas=4", "settings.initialClusterState=existing"],
    "members": lambda svc: c.sh(ec(svc, "member list")).stdout.count(", started,"),
}

# ---- postgres: a primary and two streaming replicas under Patroni; the client Service follows
# the primary by its pod label ----
def pg_tls(svc):
    """With TLS on, what a libpq client does with the binding: its CA in a file, its `sslmode`."""
    b = bind(svc)
    if "ca.crt" not in b:
        return ""
    return (save_ca(b, "/tmp/pg-ca.crt") +
            f"PGSSLMODE={shlex.quote(b['sslmode'])} PGSSLROOTCERT=/tmp/pg-ca.crt ")


def pg(svc, sql):
    return f"{pg_tls(svc)}env PGCONNECT_TIMEOUT=5 psql {shlex.quote(bind(svc)['uri'])} -v ON_ERROR_STOP=1 -tAc {shlex.quote(sql)}"


def pg_replication_tls(svc):
    """Every replica streams over TLS: the primary's pg_stat_ssl for its walsenders."""
    want = svc.replicas - 1
    n = 0
    for _ in range(20):
        n = int(c.sh(pg(svc, "SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) "
                             "WHERE s.ssl AND r.state = 'streaming'")).stdout.strip() or 0)
        if n == want:
            return f"{n} of {want} replicas stream over TLS (pg_stat_ssl)"
        time.sleep(3)
    raise c.Failure(f"{n} of {want} replicas stream over TLS")


def pg_primary(svc):
    """The pod Patroni labelled `role=primary` (Ready), the one the client Service selects;
    waits up to 60 s for exactly one (a check before may have just moved the role)."""
    found = []
    for _ in range(30):
        found = [p["metadata"]["name"] for p in c.pods(svc.ns, svc.selector + ",role=primary") if c.ready(p)]
        if len(found) == 1:
            return found[0]
        time.sleep(2)
    raise c.Failure(f"{len(found)} pods are labelled primary: {found}")


def pg_members(svc):
    """The primary and the replicas streaming from it (pg_stat_replication on the primary)."""
    n = 0
    for _ in range(40):
        try:
            n = int(c.sh(pg(svc, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")).stdout.strip() or 0) + 1
            if n == svc.replicas:
                return n
        except c.Failure:
            pass
        time.sleep(3)
    return n


def pg_drill_sql(name, sql, db="postgres"):
    uri = c.secret_data(c.CLIENT_NS, f"{name}-binding")["uri"].rsplit("/", 1)[0] + f"/{db}"
    return c.sh(f"env PGCONNECT_TIMEOUT=5 psql {shlex.quote(uri)} -v ON_ERROR_STOP=1 -tAXc {shlex.quote(sql)}", timeout=60).stdout.strip()


def pg_drill_fill(name):
    pg_drill_sql(name, "CREATE TABLE drill (k text PRIMARY KEY, v text); "
                       "INSERT INTO drill SELECT 'k' || i, md5(i::text) FROM generate_series(1, 1000) i")
    pg_drill_sql(name, "CREATE DATABASE shop")
    pg_drill_sql(name, "CREATE TABLE drill (k text PRIMARY KEY, v text); INSERT INTO drill VALUES ('order-1', 'paid')", db="shop")


def pg_drill_digest(name, probe=False):
    if probe:
        return pg_drill_sql(name, "SELECT 1")
    rows = "SELECT count(*) || ':' || md5(string_agg(k || '=' || v, ',' ORDER BY k)) FROM drill"
    return pg_drill_sql(name, rows), pg_drill_sql(name, rows, db="shop")


def pg_drill_pitr(name, moment=True):
    """After the backups: a row written, then the moment to restore to, then a row changed, one
    added and one written in the second database; the write-ahead log switched and archived.
    A restore to that moment must have the first row and none of the later ones. Without a
    `moment` (a restore to the end of the archive): every one of them. Returns the moment (or
    None), the digest a restore must give, and what was done."""
    pg_drill_sql(name, "INSERT INTO drill VALUES ('pitr-before', 'kept')")
    want, at = pg_drill_digest(name), None
    if moment:
        time.sleep(1.2)
        at = pg_drill_sql(name, "SELECT to_char(date_trunc('second', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
        time.sleep(1.2)
    pg_drill_sql(name, "INSERT INTO drill VALUES ('pitr-after', 'lost'); UPDATE drill SET v = 'changed' WHERE k = 'k1'")
    pg_drill_sql(name, "INSERT INTO drill VALUES ('order-2', 'after')", db="shop")
    if not moment:
        want = pg_drill_digest(name)
    segment = pg_drill_sql(name, "SELECT pg_walfile_name(pg_switch_wal())")
    t, state = time.time(), ""
    while time.time() - t < 120:
        state = pg_drill_sql(name, "SELECT coalesce(last_archived_wal, '-') || ' ' || archived_count || ' archived, ' || failed_count "
                                   "|| ' failed (last ' || coalesce(last_failed_wal, '-') || ')' FROM pg_stat_archiver")
        last = state.split()[0]
        if last != "-" and last >= segment:
            break
        time.sleep(2)
    else:
        raise c.Failure(f"segment {segment} not archived 120 s after pg_switch_wal: pg_stat_archiver says {state}")
    taken = f"the time {at} taken, " if at else ""
    return at, want, (f"then a row written, {taken}a row changed, one added and one in shop, "
                      f"segment {segment} archived in {time.time() - t:.0f}s ({state}); {pg_archiver_series(name)}")


def pg_archiver_series(name):
    """The series the entry's PostgresWalArchiveFailing alert reads, as a scraper in the
    monitoring namespace gets them from every member's exporter: the primary's archived_count
    above 0, a failed_count on every member."""
    seen, archiving = [], []
    for p in c.pods(name, f"app.kubernetes.io/instance={name},app.kubernetes.io/name={name}"):
        pod, ip = p["metadata"]["name"], p["status"].get("podIP")
        out = c.sh(f"curl -sS --max-time 10 http://{ip}:9187/metrics", pod="scraper", ns=c.MONITORING_NS, check=False).stdout
        got = dict(re.findall(r"^pg_stat_archiver_(archived|failed)_count(?:\{[^}]*\})? (\S+)$", out, re.M))
        if set(got) != {"archived", "failed"}:
            raise c.Failure(f"{pod}'s exporter has no pg_stat_archiver_archived_count and _failed_count "
                            f"(what PostgresWalArchiveFailing reads): {out.strip()[-300:]!r}")
        seen.append(f"{pod} {float(got['archived']):.0f} archived, {float(got['failed']):.0f} failed")
        if float(got["archived"]) > 0:
            archiving.append(pod)
    if len(archiving) != 1:
        raise c.Failure(f"expected exactly one member (the primary) to report archived segments: {'; '.join(seen)}")
    return f"the exporters' pg_stat_archiver series (what PostgresWalArchiveFailing reads): {'; '.join(seen)}"


def pg_drill_restored(name):
    """After a restore: the member that restored said so, every member dropped its copy of
    the backup, and the replicas stream from the restored primary."""
    restored, kept = [], []
    for i in range(POSTGRES["drill"]["replicas"]):
        pod = f"{name}-{i}"
        logs = c.k("logs", "-n", name, pod, "-c", name, check=False).stdout
        if "restoring the backup the member was seeded with" in logs:
            restored.append(pod)
        left = c.k("exec", "-n", name, pod, "-c", name, "--", "ls", "-A", "/home/postgres/pgdata", check=False).stdout.split()
        if "ossc-restore-data" in left:
            kept.append(pod)
    if len(restored) != 1 or kept:
        raise c.Failure(f"members that restored: {restored} (one wanted); still holding their copy of the backup: {kept}")
    want, t, streaming = POSTGRES["drill"]["replicas"] - 1, time.time(), ""
    while time.time() - t < 90:
        streaming = pg_drill_sql(name, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        if streaming == str(want):
            break
        time.sleep(3)
    else:
        raise c.Failure(f"{streaming} replica(s) streaming from the restored primary 90 s after the restore, not {want}")
    return (f"{restored[0]} restored the backup and replayed the archive, the other member dropped its copy and "
            f"streams from it ({time.time() - t:.0f}s after the data was checked)")


POSTGRES = {
    # the backup drill (under minio): what it writes and compares, and the files a backup holds;
    # two members, both seeded, one restoring; then a restore to a moment between backups
    "drill": {"fill": pg_drill_fill, "digest": pg_drill_digest, "files": {"base.tar.gz", "pg_wal.tar.gz", "backup_manifest"},
              "replicas": 2, "availability": 98, "pitr": pg_drill_pitr, "restored": pg_drill_restored,
              "note": "1000 rows in postgres and 1 in a second database"},
    "metrics_series": r"^pg_up 1$",
    # the dependency check: PgBouncer in front of this instance, through its binding
    "dependent": "examples/pgbouncer.yaml",
    # the lost-disk check: Patroni makes the member on the empty disk a replica again with a
    # base backup from the primary (Spilo's data directory is pgroot/data under the volume)
    "disk_healed": ("/home/postgres/pgdata/pgroot/data", r"^PG_VERSION$"),
    "sets": ["capacity.cpu=250m", "capacity.memory=512Mi", "capacity.storage=1Gi", "settings.sharedBuffers=128Mi"],
    "write": lambda svc, key, val: c.sh(pg(svc, "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text); "
                                               f"INSERT INTO kv VALUES ('{key}', '{val}') ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v")),
    "read": lambda svc, key: c.sh(pg(svc, f"SELECT v FROM kv WHERE k = '{key}'")).stdout,
    "read_op": lambda svc, key: pg(svc, f"SELECT v FROM kv WHERE k = '{key}'") + " | grep -q v1",
    "probe": probe_cmd(lambda svc: pg(svc, "SELECT 1")),
    "function_note": "SQL CREATE/INSERT/SELECT with psql (scram-sha-256) through the client Service (the primary), "
                     "connected with the binding's uri",
    "unauthenticated": lambda svc: f"env PGCONNECT_TIMEOUT=5 psql -w -h {svc.host()} -U postgres -d postgres -tAc 'select 1'",
    # with TLS on: the binding's uri and password over an unencrypted connection (refused: hostssl)
    "plaintext": lambda svc: f"env PGSSLMODE=disable PGCONNECT_TIMEOUT=5 psql {shlex.quote(bind(svc)['uri'])} -tAc 'select 1'",
    "peer_tls": pg_replication_tls,
    # the failover check: the primary by its label; writes of `$i` into a table; afterwards the
    # acknowledged ids missing from it (synchronous replication: none may be)
    "primary": pg_primary,
    "failover_setup": lambda svc: pg(svc, "CREATE TABLE IF NOT EXISTS fo (id int PRIMARY KEY)"),
    # double quotes: the loop's shell expands `$i`
    "failover_write": lambda svc: (f"{pg_tls(svc)}timeout 3 env PGCONNECT_TIMEOUT=2 psql {shlex.quote(bind(svc)['uri'])} -v ON_ERROR_STOP=1 "
                                   "-tAc \"INSERT INTO fo VALUES ($i)\" >/dev/null 2>&1"),
    "failover_missing": lambda svc, f: ids_missing(f, pg(svc, "SELECT id FROM fo")),
    "failover_bound": 30,
    "failover_lossless": True,
    "scale_to": 4,
    "scale_note": " (the primary's pg_stat_replication lists every other member streaming)",
    "members": pg_members,
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
    "members": ready_pods,
}

SERVICES = {
    "memcached": MEMCACHED,
    "valkey": VALKEY,
    "function": FUNCTION,
    "etcd": ETCD,
    "postgres": POSTGRES,
}


# ---- zookeeper: a three-server ensemble; kazoo through the client Service ----
def zk(svc, body, auth=True, plain=False):
    """kazoo through the client Service, authenticated (SASL DIGEST-MD5) with the binding's user;
    with TLS on (the binding has ca.crt), over TLS verifying the server against it (`plain`:
    without TLS, which the server must refuse)."""
    b = bind(svc)
    sasl = ""
    if auth:
        sasl = f", sasl_options={{'mechanism': 'DIGEST-MD5', 'username': {b['username']!r}, 'password': {b['password']!r}}}"
    ca, tls = "", ""
    if "ca.crt" in b and not plain:
        ca = save_ca(b, "/tmp/zk-ca.crt")
        tls = ", use_ssl=True, verify_certs=True, ca='/tmp/zk-ca.crt'"
    return (f"{ca}python3 - <<'PY'\nfrom kazoo.client import KazooClient\n"
            f"z = KazooClient(hosts='{svc.host()}:2181', timeout=5{sasl}{tls})\nz.start(timeout=8)\n{body}\nz.stop()\nPY")


ZOOKEEPER = {
    # the connect text's try line runs zkCli.sh, which ships with ZooKeeper's image
    "try_in_own_image": True,
    "metrics_series": r"^znode_count",
    "sets": ["capacity.cpu=200m", "capacity.memory=512Mi", "capacity.storage=1Gi", "settings.heap=256Mi"],
    "write": lambda svc, key, val: c.sh(zk(svc, f"z.ensure_path('/ossc')\nif z.exists('/ossc/{key}'): z.set('/ossc/{key}', b'{val}')\nelse: z.create('/ossc/{key}', b'{val}')")),
    "read": lambda svc, key: c.sh(zk(svc, f"z.sync('/ossc/{key}')\nprint(z.get('/ossc/{key}')[0].decode())")).stdout,
    "read_op": lambda svc, key: zk(svc, f"assert z.get('/ossc/{key}')[0] == b'v1'"),
    "probe": lambda svc, pod, ns: c.sh(f"timeout 8 bash -c 'echo ruok | nc -w 3 {svc.host()} 2181 | grep -q imok'",
                                       pod=pod, ns=ns, check=False, timeout=12),
    "function_note": "create/get of a znode (after sync) with kazoo through the client Service, SASL DIGEST-MD5 "
                     "with the binding's user",
    # without SASL the server closes the session at the first request (enforce.auth.schemes=sasl)
    "unauthenticated": lambda svc: "timeout 20 " + zk(svc, "z.ensure_path('/ossc')\nprint(z.get_children('/'))", auth=False),
    # with TLS on: the binding's user over a plain connection, which the TLS-only port refuses
    "plaintext": lambda svc: "timeout 20 " + zk(svc, "print(z.get_children('/'))", plain=True),
    "members": lambda svc: int(c.sh(f"echo mntr | nc -w 3 {svc.host()} 2181 | sed -n 's/^zk_synced_followers\\s*//p'").stdout or 0) + 1,
}


# ---- nats: three servers with JetStream; a replicated stream ----
def nc(svc, args):
    """natsc.py with the binding's uri; with TLS on, the binding's CA written beside it."""
    b = bind(svc)
    ca = save_ca(b, "/tmp/nats-ca.crt") + "NATS_CA=/tmp/nats-ca.crt " if "ca.crt" in b else ""
    return f"{ca}timeout 10 python3 /usr/local/bin/natsc.py {shlex.quote(b['uri'])} {args}"


def nats_write(svc, key, val):
    c.sh(nc(svc, "stream OSSC 'ossc.>' 3"))
    c.sh(nc(svc, f"pub ossc.{key} {val}"))
    # consumed once, by a durable pull consumer that acknowledges it (later reads get the stored
    # message by subject: an acknowledged message is not delivered to that consumer again). An
    # earlier write that was retried may have left a message of its own before this one: the
    # consumer takes (and acknowledges) up to 5 to reach it.
    got = []
    for _ in range(5):
        got.append(c.sh(nc(svc, "consume OSSC tier")).stdout)
        if val in got[-1]:
            return
    raise c.Failure(f"the pull consumer got {got!r}, wanted {val}")


def nats_drill(name, args, timeout=60):
    """The NATS CLI against the drill's instance `name`, with its binding's uri alone (TLS is
    off in the drill); `args` may end in a pipe."""
    b = c.secret_data(c.CLIENT_NS, f"{name}-binding")
    return c.sh(f"timeout {timeout} nats --server {shlex.quote(b['uri'])} --timeout 10s {args}", timeout=timeout + 10).stdout.strip()


def nats_drill_fill(name):
    # a stream of 1000 messages on the three servers with a durable consumer that acknowledged
    # the first 10, and a key-value bucket (a stream too) with a value holding a comma and quotes
    nats_drill(name, "stream add DRILL --subjects 'drill.>' --storage file --replicas 3 --defaults")
    nats_drill(name, "pub drill.orders --count 1000 --jetstream 'order {{Count}}'", timeout=120)
    nats_drill(name, "consumer add DRILL worker --pull --deliver all --ack explicit --defaults")
    nats_drill(name, "consumer next DRILL worker --count 10 --ack")
    nats_drill(name, "kv add shop --replicas 3")
    nats_drill(name, "kv put shop order-1 'paid, \"in full\"'")


def nats_drill_digest(name, probe=False):
    if probe:
        return nats_drill(name, "stream ls --names", timeout=20)
    field = "python3 -c 'import json, sys; d = json.load(sys.stdin); print(%s)'"
    state = nats_drill(name, "stream info DRILL --json | " + field % '"%(messages)s messages, %(bytes)s bytes, last %(last_seq)s" % d["state"]')
    # the bodies, read to the last: a read that ends early (right after a restore the stream's
    # leader may still be being elected, and the CLI's consumer ends with nothing) is read again
    # for up to 60 s, never taken as the data differing
    def bodies_read():
        out = nats_drill(name, "sub 'drill.>' --stream DRILL --all --count 1000 --raw > /tmp/drill-bodies; "
                               "echo \"$(wc -c < /tmp/drill-bodies) $(md5sum < /tmp/drill-bodies | cut -d' ' -f1)\"")
        size, digest = out.split()
        if int(size) == 0:
            raise c.Failure("the stream's bodies read back empty")
        return digest
    bodies = c.retried(bodies_read, 60)
    worker = nats_drill(name, "consumer info DRILL worker --json | " + field % '"worker acked to", d["ack_floor"]["stream_seq"], "pending", d["num_pending"]')
    return state, bodies, worker, nats_drill(name, "kv get shop order-1 --raw")


NATS = {
    # the backup drill (under minio): stream snapshots over the network, restored by a Job
    # (three servers: one alone never starts JetStream in a cluster, and the entry refuses it)
    # at a tenth of a CPU each (the entry's checks give NATS 200m): MinIO's lane runs the drills
    # and must still fit beside Cassandra's
    "drill": {"fill": nats_drill_fill, "digest": nats_drill_digest, "files": {"names", "streams"}, "replicas": 3,
              "sets": ["capacity.cpu=100m", "capacity.memory=384Mi", "capacity.storage=1Gi", "settings.goMemoryLimit=256Mi"],
              "note": "a stream of 1000 messages on three servers with a consumer's acknowledgements, and a key-value bucket"},
    # the tls-cert-manager check runs here: its routes' mutual TLS needs the certificate's
    # server and client uses both
    "cert_manager": True,
    "metrics_series": r"^ossc_standin_target_up\{[^}]*\} 1$",
    "metrics_note": " (a STAND-IN exporter image: this proves the port, the policy and the exporter's reach to the software, not the real exporter's series)",
    "sets": ["capacity.cpu=200m", "capacity.memory=384Mi", "capacity.storage=1Gi", "settings.goMemoryLimit=256Mi"],
    "write": nats_write,
    "read": lambda svc, key: c.sh(nc(svc, f"last OSSC ossc.{key}")).stdout,
    "read_op": lambda svc, key: nc(svc, f"last OSSC ossc.{key}") + " | grep -q v1",
    "probe": lambda svc, pod, ns: c.sh(f"timeout 5 python3 /usr/local/bin/natsc.py {shlex.quote(bind(svc)['uri'])} last OSSC ossc.k1",
                                       pod=pod, ns=ns, check=False, timeout=10),
    "function_note": "JetStream publish (acknowledged by a stream of 3 replicas), last-by-subject get and a pull consume, "
                     "authenticated with the binding's uri",
    "unauthenticated": lambda svc: f"timeout 10 python3 /usr/local/bin/natsc.py {svc.host()} last OSSC ossc.k1",
    # with TLS on: the binding's user and password over a plain connection (the uri's scheme
    # swapped back), which the server must refuse
    "plaintext": lambda svc: ("timeout 10 python3 /usr/local/bin/natsc.py "
                              + shlex.quote("nats://" + bind(svc)["uri"].split("://", 1)[1]) + " last OSSC ossc.k1"),
    "peer_tls": lambda svc: nats_routes_tls(svc),
    # 3 -> 5: the new servers find the others through the routes and join the JetStream meta group
    "scale_to": 5,
    "members": lambda svc: nats_meta_members(svc),
}


def nats_routes_tls(svc):
    """Routes are up and speak TLS: every server has routes (/routez), and a plain connection to
    a route port gets no INFO (a route port without TLS sends it at once; with TLS the server
    waits for a handshake, then closes). The servers demand a client certificate on routes (verify), so a
    route that is up is mutual TLS. Run inside each server's pod: peer ports admit only peers."""
    notes = []
    for i in range(svc.replicas):
        pod = f"{svc.name}-{i}"
        peer = f"{svc.name}-{(i + 1) % svc.replicas}.{svc.name}-peers.{svc.ns}.svc"
        script = ("exec 3<>/dev/tcp/127.0.0.1/8222; printf 'GET /routez HTTP/1.0\\r\\n\\r\\n' >&3; "
                  "sed -n 's/.*\"num_routes\": *\\([0-9]*\\).*/\\1/p' <&3; "
                  f"exec 4<>/dev/tcp/{peer}/6222; timeout 3 head -c 4 <&4; echo \" rc=$?\"")
        out = c.k("exec", "-n", svc.ns, pod, "-c", svc.container, "--", "bash", "-c", script, check=False, timeout=20).stdout.split()
        if len(out) < 2 or not out[0].isdigit() or int(out[0]) == 0:
            raise c.Failure(f"{pod}: no routes up: {out}")
        # nothing read: the server waited for a handshake (and closes after its TLS timeout, 2 s)
        if out[1:-1]:
            raise c.Failure(f"{pod}: the route port of {peer} answered a plain connection: {out[1:-1]}")
        notes.append(out[0])
    return f"routes up on every server ({'/'.join(notes)}), mutual TLS; a plain connection to a route port gets no INFO"


def nats_meta_members(svc):
    """Servers in the JetStream meta group that are current, as its leader sees them (only the
    leader's /jsz lists the group's replicas). Read from inside each server's own pod: the
    monitoring port admits only the monitoring namespace."""
    get = "exec 3<>/dev/tcp/127.0.0.1/8222; printf 'GET /jsz HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"
    seen, counted = {}, None
    for _ in range(40):
        for i in range(svc.replicas):
            pod = f"{svc.name}-{i}"
            out = c.k("exec", "-n", svc.ns, pod, "-c", svc.container, "--", "bash", "-c", get, check=False)
            # the reply's headers end at its first blank line (kubectl's text output has turned
            # the \r\n into \n: splitting on \r\n\r\n found nothing in the tier's first run)
            body = out.stdout.replace("\r\n", "\n").split("\n\n", 1)[-1]
            try:
                meta = json.loads(body).get("meta_cluster", {})
            except ValueError:
                seen[pod] = f"no /jsz ({(out.stderr or out.stdout).strip()[-80:]!r})"
                continue
            seen[pod] = f"leader {meta.get('leader')!r}, size {meta.get('cluster_size')}"
            if meta.get("leader") == pod:
                # a joining server is listed before it has caught up ("current"): wait for it
                counted = 1 + sum(1 for r in meta.get("replicas", []) if r.get("current"))
                if counted == svc.replicas:
                    return counted
        time.sleep(2)
    if counted is not None:
        return counted
    raise c.Failure("no server reports itself as the JetStream meta leader; last seen: "
                    + "; ".join(f"{p}: {v}" for p, v in sorted(seen.items())))


SERVICES.update({"zookeeper": ZOOKEEPER, "nats": NATS})



# ---- rabbitmq: three nodes, quorum queues; the consumer brings the credentials Secret ----
def rmq(svc, body, user=None, password=None, plain=False):
    """pika with the binding's host, port and credentials; with TLS on (the binding has
    `ca.crt`), over TLS verifying the server's name against that CA, unless `plain`."""
    b = bind(svc)
    user, password = user or b["username"], password or b["password"]
    ca, tls = "", ""
    if "ca.crt" in b and not plain:
        ca = save_ca(b, "/tmp/rmq-ca.crt")
        tls = f", ssl_options=pika.SSLOptions(ssl.create_default_context(cafile='/tmp/rmq-ca.crt'), '{b['host']}')"
    return (f"{ca}python3 - <<'PY'\nimport pika, ssl\n"
            f"p = pika.ConnectionParameters('{b['host']}', {b['port']}, '/', pika.PlainCredentials('{user}', '{password}'),"
            f" socket_timeout=5, blocked_connection_timeout=5, connection_attempts=1{tls})\n"
            "conn = pika.BlockingConnection(p)\nch = conn.channel()\nch.confirm_delivery()\n"
            "ch.queue_declare('ossc', durable=True, arguments={'x-queue-type': 'quorum'})\n"
            f"{body}\nconn.close()\nPY")


def rmq_api(b, body):
    """A script for `python3 -` whose `api(method, path, doc=None, scheme='http', ctx=None,
    timeout=20)` calls the management plugin's HTTP API (port 15672) as binding `b`'s user and
    returns its JSON; then `body`, which may use it and `b` (host, port, username, password)."""
    return ("import base64, hashlib, json, pika, ssl, sys, urllib.request\n"
            f"b = {json.dumps({k: b[k] for k in ('host', 'port', 'username', 'password')})}\n"
            "def api(method, path, doc=None, scheme='http', ctx=None, timeout=20):\n"
            "    r = urllib.request.Request(f\"{scheme}://{b['host']}:15672/api/{path}\", method=method,\n"
            "        data=None if doc is None else json.dumps(doc).encode(), headers={'content-type': 'application/json',\n"
            "        'authorization': 'Basic ' + base64.b64encode(f\"{b['username']}:{b['password']}\".encode()).decode()})\n"
            "    with urllib.request.urlopen(r, timeout=timeout, context=ctx) as resp:\n"
            "        text = resp.read()\n"
            "    return json.loads(text) if text else None\n"
            f"{body}\n")


def rmq_api_tls(svc):
    """With TLS on, a script that exits 0 (as a plain connection that was served does) when the
    management plugin's HTTP API answers plain HTTP, or does not answer HTTPS verified against
    the binding's CA, saying which; 1 when it is HTTPS only."""
    b = bind(svc)
    body = ("try:\n    api('GET', 'overview', timeout=10); print('the HTTP API answered plain HTTP'); sys.exit(0)\n"
            "except Exception:\n    pass\n"
            "try:\n    api('GET', 'overview', scheme='https', ctx=ssl.create_default_context(cafile='/tmp/rmq-ca.crt'), timeout=10)\n"
            "except Exception as e:\n    print(f'the HTTP API did not answer HTTPS verified by the CA: {e}'); sys.exit(0)\n"
            "sys.exit(1)")
    return f"{save_ca(b, '/tmp/rmq-ca.crt')}python3 - <<'PY'\n{rmq_api(b, body)}PY"


def per_key(key):
    """The queue (RabbitMQ) or topic (Kafka) of a key: k1, the key every check reads from the
    head, is in `ossc`; a later key (the tls check's) in one of its own, so that reading it back
    finds its own message and not k1's."""
    return "ossc" if key == "k1" else f"ossc-{key}"


def rmq_read(key):
    """k1: the queue's message count, without taking a message (see RABBITMQ's comment); any
    other key: its message, taken and put back (read once or twice, far below the limit)."""
    if key == "k1":
        return "n = ch.queue_declare('ossc', passive=True).method.message_count\nprint('v1' if n >= 1 else f'{n} messages')"
    return (f"m, props, body = ch.basic_get('{per_key(key)}')\nprint(body.decode() if body else 'no message')\n"
            "if m: ch.basic_nack(m.delivery_tag, requeue=True)")


def rmq_drill(name, body, timeout=60):
    """Python in the client pod against the drill's instance `name` with its binding alone (TLS
    is off in the drill): `body` uses `api` and `b` ([`rmq_api`])."""
    b = c.secret_data(c.CLIENT_NS, f"{name}-binding")
    return c.sh(f"python3 - <<'PY'\n{rmq_api(b, body)}PY", timeout=timeout).stdout.strip()


def rmq_drill_fill(name):
    # a virtual host with a user of its own (password and permissions), a topic exchange bound
    # to a quorum queue and a policy; the instance's administrator is the binding's
    rmq_drill(name, "api('PUT', 'vhosts/shop', {'description': 'orders'})\n"
                    "api('PUT', 'users/orders', {'password': 'orders-Pa55, \"quoted\"', 'tags': 'monitoring'})\n"
                    "api('PUT', 'permissions/shop/orders', {'configure': '^orders', 'write': '.*', 'read': '.*'})\n"
                    "api('PUT', 'exchanges/shop/orders', {'type': 'topic', 'durable': True})\n"
                    "api('PUT', 'queues/shop/orders.paid', {'durable': True, 'arguments': {'x-queue-type': 'quorum'}})\n"
                    "api('POST', 'bindings/shop/e/orders/q/orders.paid', {'routing_key': 'paid.#'})\n"
                    "api('PUT', 'policies/shop/orders-limit', {'pattern': '^orders\\\\.', 'definition': {'max-length': 10000},"
                    " 'apply-to': 'queues'})")


def rmq_drill_digest(name, probe=False):
    if probe:
        return rmq_drill(name, "print(api('GET', 'overview')['rabbitmq_version'])")
    # the definitions without the instance's own administrator (its password is the instance's,
    # on purpose), each password hash as a digest of it (the log shows no hash); then the
    # restored user itself: it logs in over AMQP with its password into its virtual host and
    # publishes through the exchange to the queue
    return tuple(rmq_drill(name, "d = api('GET', 'definitions')\n"
                                 "own = b['username']\n"
                                 "keep = lambda xs, *ks: sorted(json.dumps({k: x.get(k) for k in ks}, sort_keys=True) for x in xs)\n"
                                 "users = [dict(u, password_hash=hashlib.sha256(u['password_hash'].encode()).hexdigest()[:16]) for u in d['users'] if u['name'] != own]\n"
                                 "print(keep(users, 'name', 'password_hash', 'tags'))\n"
                                 "print(keep(d['vhosts'], 'name'))\n"
                                 "print(keep(d['permissions'], 'user', 'vhost', 'configure', 'write', 'read'))\n"
                                 "print(keep([x for x in d['exchanges'] if x['vhost'] == 'shop'], 'name', 'type', 'durable'))\n"
                                 "print(keep(d['queues'], 'vhost', 'name', 'durable', 'arguments'))\n"
                                 "print(keep(d['bindings'], 'vhost', 'source', 'destination', 'routing_key'))\n"
                                 "print(keep(d['policies'], 'vhost', 'name', 'pattern', 'definition'))\n"
                                 "p = pika.ConnectionParameters(b['host'], int(b['port']), 'shop', pika.PlainCredentials('orders', 'orders-Pa55, \"quoted\"'),"
                                 " socket_timeout=5, connection_attempts=1)\n"
                                 "conn = pika.BlockingConnection(p)\nch = conn.channel()\nch.confirm_delivery()\n"
                                 "ch.basic_publish('orders', 'paid.eu', b'order-1', mandatory=True)\n"
                                 "print('orders logs in and publishes through orders to orders.paid')\nconn.close()").splitlines())


RABBITMQ = {
    # the backup drill (under minio): the definitions through the HTTP API, restored by a Job
    "drill": {"fill": rmq_drill_fill, "digest": rmq_drill_digest, "files": {"definitions.json"},
              "note": "a virtual host with its own user, permissions, a topic exchange bound to a quorum queue and a policy"},
    "metrics_series": r"^rabbitmq_",
    "sets": ["capacity.cpu=300m", "capacity.memory=512Mi", "capacity.storage=1Gi"],
    # write publishes (confirmed) and consumes it once to check it (basic.get, then nack with
    # requeue so it stays); later reads count the queue's messages without taking one: every
    # redelivery counts against RabbitMQ 4's quorum-queue delivery limit (20), after which the
    # broker drops the message, so a test that kept taking it would destroy its own data
    "write": lambda svc, key, val: c.sh(rmq(svc, f"q = '{per_key(key)}'\nch.queue_declare(q, durable=True, arguments={{'x-queue-type': 'quorum'}})\n"
                                                 f"ch.basic_publish('', q, b'{key}={val}', pika.BasicProperties(delivery_mode=2), mandatory=True)\n"
                                                 f"m, props, body = ch.basic_get(q)\nassert body == b'{key}={val}', body\nch.basic_nack(m.delivery_tag, requeue=True)")),
    "read": lambda svc, key: c.sh(rmq(svc, rmq_read(key))).stdout,
    "read_op": lambda svc, key: rmq(svc, "assert ch.queue_declare('ossc', passive=True).method.message_count >= 1"),
    "probe": tcp_probe(5672),
    "unauthenticated": lambda svc: rmq(svc, "pass", user="guest", password="guest"),
    # with TLS on: the binding's user and password over a plain AMQP connection, refused; and
    # the HTTP API (the backups') refuses plain HTTP and answers HTTPS verified by the CA
    "plaintext": lambda svc: f"if {rmq(svc, 'pass', plain=True)}\nthen exit 0; fi\n{rmq_api_tls(svc)}",
    "function_note": "publish (publisher confirms) to a durable quorum queue, then basic.get of it, with pika through the client Service",
    # 3 -> 5: the new nodes join through classic_config peer discovery
    "scale_to": 5,
    "members": lambda svc: len(json.loads(c.k("exec", "-n", svc.ns, f"{svc.name}-0", "-c", svc.container, "--",
                                              "rabbitmq-diagnostics", "-q", "cluster_status", "--formatter", "json")
                                        .stdout).get("running_nodes", [])),
}
SERVICES["rabbitmq"] = RABBITMQ


# ---- cassandra: a ring of three; CQL at QUORUM in a keyspace of replication factor 3 ----
def cq_auth(svc, user=None, password=None):
    """The driver's auth provider argument: the binding's credentials unless others are given
    ("" for none at all)."""
    if user is None:
        b = bind(svc)
        user, password = b["username"], b["password"]
    if user == "":
        return ""
    return f", auth_provider=PlainTextAuthProvider({user!r}, {password!r})"


def cq_tls(svc, plain=False):
    """(shell prefix, Python preamble, driver arguments): with TLS on (the binding has ca.crt),
    the CA saved and the driver over TLS, verifying every node's certificate against it for the
    client Service's name (the binding's `host`; nodes are reached by address); `plain` or TLS
    off: none of them."""
    b = bind(svc)
    if "ca.crt" not in b or plain:
        return "", "", ""
    return (save_ca(b, "/tmp/cq-ca.crt"),
            "import ssl\nctx = ssl.create_default_context(cafile='/tmp/cq-ca.crt')\n",
            ", ssl_context=ctx, ssl_options={'server_hostname': " + repr(b["host"]) + "}")


def cq(svc, body, user=None, password=None, plain=False):
    ca, preamble, tls = cq_tls(svc, plain)
    return (f"{ca}python3 - <<'PY'\n"
            "from cassandra import ConsistencyLevel\n"
            "from cassandra.auth import PlainTextAuthProvider\n"
            "from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT\n"
            f"{preamble}"
            "ep = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, request_timeout=10)\n"
            f"cl = Cluster(['{svc.host()}'], execution_profiles={{EXEC_PROFILE_DEFAULT: ep}}, connect_timeout=5, "
            f"control_connection_timeout=5{cq_auth(svc, user, password)}{tls})\n"
            f"s = cl.connect()\n{body}\ncl.shutdown()\nPY")


def cq_read_session(svc, stop):
    """The load during faults: one driver session for the whole window, as an application keeps
    one (a driver started per operation measured its own start-up: 18/47 "failures" in one
    roll); over TLS when the binding has a CA."""
    ca, preamble, tls = cq_tls(svc)
    return (
        f"{ca}python3 - <<'PY'\n"
        "import os, sys, time\n"
        "from cassandra import ConsistencyLevel\n"
        "from cassandra.auth import PlainTextAuthProvider\n"
        "from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT\n"
        f"{preamble}"
        "ep = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, request_timeout=10)\n"
        "cl, s = None, None\n"
        f"while not os.path.exists('{stop}'):\n"
        "    try:\n"
        # a Cluster whose first connect fails shuts itself down for good ("Cluster is already
        # shut down" on every later call: 309/309 errors in one run), so a failed start makes a
        # new one, as an application's reconnect does
        "        if s is None:\n"
        f"            cl = Cluster(['{svc.host()}'], execution_profiles={{EXEC_PROFILE_DEFAULT: ep}}, "
        f"connect_timeout=5, control_connection_timeout=5{cq_auth(svc)}{tls})\n"
        "            s = cl.connect()\n"
        "        assert s.execute(\"SELECT v FROM ossc.kv WHERE k = 'k1'\").one().v == 'v1'\n"
        "        print('ok', flush=True)\n"
        "    except Exception as e:\n"
        "        print('err', type(e).__name__, flush=True)\n"
        "    time.sleep(0.2)\n"
        "    if s is None and cl is not None:\n"
        "        cl.shutdown()\n"
        "if cl is not None:\n"
        "    cl.shutdown()\n"
        "PY")


def cassandra_members(svc):
    """Nodes up and normal; each must be in the rack named after its pod's zone (the spec takes
    the rack from `${pod.zone}`, which the cluster copies from the node onto the pod)."""
    out = c.k("exec", "-n", svc.ns, f"{svc.name}-0", "-c", svc.container, "--", "nodetool", "status").stdout
    up = [line.split() for line in out.splitlines() if line.startswith("UN ")]
    zones = {n["metadata"]["name"]: n["metadata"]["labels"].get("topology.kubernetes.io/zone")
             for n in json.loads(c.k("get", "nodes", "-o", "json").stdout)["items"]}
    zone_of_ip = {p["status"].get("podIP"): zones.get(p["spec"].get("nodeName")) for p in c.pods(svc.ns, svc.selector)}
    wrong = [f"{f[1]} in rack {f[-1]}, zone {zone_of_ip.get(f[1])}" for f in up if f[-1] != zone_of_ip.get(f[1])]
    if wrong:
        raise c.Failure("rack is not the zone: " + "; ".join(wrong))
    return len(up)


def cs_drill(name, body):
    """Python with the DataStax driver in the client pod, connected at QUORUM to the drill's
    instance `name` with its binding alone (TLS is off in the drill); `body` uses `s`."""
    b = c.secret_data(c.CLIENT_NS, f"{name}-binding")
    return c.sh("python3 - <<'PY'\n"
                "from cassandra import ConsistencyLevel\n"
                "from cassandra.auth import PlainTextAuthProvider\n"
                "from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT\n"
                "ep = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, request_timeout=30)\n"
                f"cl = Cluster([{b['host']!r}], port={int(b['port'])}, execution_profiles={{EXEC_PROFILE_DEFAULT: ep}}, "
                f"connect_timeout=10, auth_provider=PlainTextAuthProvider({b['username']!r}, {b['password']!r}))\n"
                f"s = cl.connect()\n{body}\ncl.shutdown()\nPY", timeout=180).stdout.strip()


def cs_drill_fill(name):
    # one node in the drill: replication factor 1 (the restore creates the keyspaces as they were)
    cs_drill(name, "for ks in ('drill', 'shop'):\n"
                   "    s.execute(\"CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}\" % ks)\n"
                   "s.execute('CREATE TABLE drill.kv (k text PRIMARY KEY, v text)')\n"
                   "ins = s.prepare('INSERT INTO drill.kv (k, v) VALUES (?, ?)')\n"
                   "import hashlib\n"
                   "for i in range(1, 1001):\n"
                   "    s.execute(ins, ('k%d' % i, hashlib.md5(str(i).encode()).hexdigest()))\n"
                   "s.execute('CREATE TABLE shop.orders (id int PRIMARY KEY, state text, total decimal)')\n"
                   "s.execute(\"INSERT INTO shop.orders (id, state, total) VALUES (1, 'paid', 12.50)\")")


def cs_drill_digest(name, probe=False):
    if probe:
        return cs_drill(name, "print(s.execute('SELECT release_version FROM system.local').one()[0])")
    return tuple(cs_drill(name, "import hashlib\n"
                                "rows = sorted((r.k, r.v) for r in s.execute('SELECT k, v FROM drill.kv'))\n"
                                "print('%d:%s' % (len(rows), hashlib.md5(repr(rows).encode()).hexdigest()))\n"
                                "print(';'.join('%s %s %s' % tuple(r) for r in s.execute('SELECT id, state, total FROM shop.orders')))").splitlines())


CASSANDRA = {
    # the backup drill (under minio): cqlsh's export of the schema and every table, loaded into a new instance by its restore Job
    "drill": {"fill": cs_drill_fill, "digest": cs_drill_digest, "files": {"schema.cql", "tables", "drill.kv.csv", "shop.orders.csv"},
              "note": "1000 rows in one keyspace and an order in a second"},
    # the connect text's try line runs cqlsh, which ships with Cassandra's image
    "try_in_own_image": True,
    "metrics_series": r"^ossc_standin_target_up\{[^}]*\} 1$",
    "metrics_note": " (a STAND-IN exporter image: this proves the port, the policy and the exporter's reach to the software, not the real exporter's series)",
    "sets": ["capacity.cpu=700m", "capacity.memory=2Gi", "capacity.storage=1Gi", "settings.heap=1Gi",
             "settings.youngGeneration=256Mi"],
    "write": lambda svc, key, val: c.sh(cq(svc, "s.execute(\"CREATE KEYSPACE IF NOT EXISTS ossc WITH replication = "
                                                "{'class': 'NetworkTopologyStrategy', 'dc1': 3}\")\n"
                                                "s.execute('CREATE TABLE IF NOT EXISTS ossc.kv (k text PRIMARY KEY, v text)')\n"
                                                f"s.execute(\"INSERT INTO ossc.kv (k, v) VALUES ('{key}', '{val}')\")"),
                                        timeout=90),
    "read": lambda svc, key: c.sh(cq(svc, f"r = s.execute(\"SELECT v FROM ossc.kv WHERE k = '{key}'\").one()\n"
                                          "print(r.v if r else 'no row')")).stdout,
    "read_op": lambda svc, key: "timeout 15 " + cq(svc, f"assert s.execute(\"SELECT v FROM ossc.kv WHERE k = '{key}'\").one().v == 'v1'"),
    "read_session": cq_read_session,
    # the driver's start and its connection to every node take seconds on this machine
    "probe": probe_cmd(lambda svc: cq(svc, "assert s.execute('SELECT release_version FROM system.local').one()"), 15),
    "function_note": "CQL CREATE KEYSPACE (NetworkTopologyStrategy, RF 3), INSERT and SELECT at QUORUM with the "
                     "DataStax Python driver through the client Service, authenticated as the binding's user",
    # refused without credentials, and with the default superuser's well-known ones (the
    # bootstrap step dropped that role)
    "unauthenticated": lambda svc: "served=1\n" + "".join(
        "timeout 20 " + cq(svc, "print(s.execute('SELECT release_version FROM system.local').one())", user=u, password=p)
        .replace("<<'PY'\n", "<<'PY' && served=0\n", 1) + "\n"
        for u, p in (("", ""), ("cassandra", "cassandra"))) + "exit $served",
    # with TLS on: the binding's user and password over a plain connection, which the TLS-only
    # native port refuses
    "plaintext": lambda svc: "timeout 20 " + cq(svc, "print(s.execute('SELECT release_version FROM system.local').one())",
                                                plain=True),
    # 3 -> 4: one zone gets a second node, in the same rack as the first there (nodetool status
    # must show every node's rack as its pod's zone)
    "scale_to": 4,
    "members": cassandra_members,
    "scale_note": ", each in the rack of its zone (nodetool status)",
}
SERVICES["cassandra"] = CASSANDRA


# ---- minio: four nodes, one erasure set; S3 put/get with boto3; the consumer brings the Secret ----
def s3(svc, body, plain=False):
    """boto3 with the binding: its uri, keys and region, and with TLS on (the binding has
    ca.crt) verifying the server against the CA (`plain`: the same over http, which a TLS
    MinIO must refuse)."""
    b = bind(svc)
    ca, verify, uri = "", "", b["uri"]
    if "ca.crt" in b:
        if plain:
            uri = uri.replace("https://", "http://", 1)
        else:
            ca, verify = save_ca(b, "/tmp/s3-ca.crt"), ", verify='/tmp/s3-ca.crt'"
    return (f"{ca}python3 - <<'PY'\nimport boto3, botocore.config\n"
            f"s3 = boto3.client('s3', endpoint_url='{uri}', aws_access_key_id='{b['username']}', "
            f"aws_secret_access_key='{b['password']}', region_name='{b['region']}'{verify}, config=botocore.config.Config("
            "connect_timeout=5, read_timeout=10, retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))\n"
            f"{body}\nPY")


def minio_links_tls(svc):
    """With TLS on, MinIO's nodes reach each other only at https:// (MINIO_VOLUMES; port 9000
    serves nothing else): the cluster health endpoint answers 200 only with write quorum,
    that is with the nodes connected."""
    b = bind(svc)
    out = c.sh(f"{save_ca(b, '/tmp/s3-ca.crt')}curl -sS -o /dev/null -w '%{{http_code}}' --max-time 10 --cacert /tmp/s3-ca.crt "
               f"https://{svc.host()}:9000/minio/health/cluster").stdout.strip()
    if out != "200":
        raise c.Failure(f"/minio/health/cluster answered {out!r} with TLS on: the nodes have no write quorum over https")
    return "the nodes' links https:// (the cluster's write quorum, /minio/health/cluster 200, over the only listener, TLS)"


def minio_drill(name, body):
    """boto3 against the drill's instance `name`, with its binding alone (TLS is off in the drill)."""
    drill = types.SimpleNamespace(name=name, _binding=c.secret_data(c.CLIENT_NS, f"{name}-binding"))
    return c.sh(s3(drill, body), timeout=120).stdout.strip()


def minio_drill_fill(name):
    # a versioned bucket with a policy and a lifecycle rule: 200 objects under nested prefixes
    # (names with spaces and non-ASCII letters), one overwritten (its older version is not
    # kept), one of 9.6 MB (the CLI copies it in parts); and an empty bucket
    minio_drill(name, """import hashlib, json
s3.create_bucket(Bucket='photos')
s3.put_bucket_versioning(Bucket='photos', VersioningConfiguration={'Status': 'Enabled'})
for i in range(200):
    s3.put_object(Bucket='photos', Key=f'2026/{i % 7}/img {i}.jpg', Body=bytes([i % 256]) * (i * 97 + 1))
s3.put_object(Bucket='photos', Key='2026/0/img 0.jpg', Body=b'second version')
s3.put_object(Bucket='photos', Key='public/\u00fcber \u00f1and\u00fa.txt', Body='caf\u00e9'.encode())
s3.put_object(Bucket='photos', Key='big.bin', Body=b''.join(hashlib.sha256(str(i).encode()).digest() for i in range(300000)))
s3.put_bucket_policy(Bucket='photos', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Principal': {'AWS': ['*']}, 'Action': ['s3:GetObject'], 'Resource': ['arn:aws:s3:::photos/public/*']}]}))
s3.put_bucket_lifecycle_configuration(Bucket='photos', LifecycleConfiguration={'Rules': [
    {'ID': 'expire-tmp', 'Status': 'Enabled', 'Filter': {'Prefix': 'tmp/'}, 'Expiration': {'Days': 7}}]})
s3.create_bucket(Bucket='empty')""")


def minio_drill_digest(name, probe=False):
    if probe:
        return minio_drill(name, "print(sorted(b['Name'] for b in s3.list_buckets()['Buckets']))")
    # per bucket: each object's name and body, the versioning state, the policy and the rules
    return tuple(minio_drill(name, """import hashlib, json
md5 = lambda b: hashlib.md5(b).hexdigest()[:12]
for b in sorted(x['Name'] for x in s3.list_buckets()['Buckets']):
    objects = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=b):
        for o in page.get('Contents', []):
            objects.append(o['Key'] + '=' + md5(s3.get_object(Bucket=b, Key=o['Key'])['Body'].read()))
    versioning = s3.get_bucket_versioning(Bucket=b).get('Status', 'never')
    try:
        policy = md5(json.dumps(json.loads(s3.get_bucket_policy(Bucket=b)['Policy']), sort_keys=True).encode())
    except s3.exceptions.ClientError:
        policy = None
    try:
        rules = [r['ID'] for r in s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']]
    except s3.exceptions.ClientError:
        rules = None
    print(f"{b}: {len(objects)} objects {md5(chr(10).join(objects).encode())}, versioning {versioning}, policy {policy}, lifecycle {rules}")""").splitlines())


MINIO = {
    "metrics_series": r"^minio_node_",
    # the tls check: with TLS on, a Gateway route to the S3 port (which then serves HTTPS), so
    # a BackendTLSPolicy and the CA's ConfigMap the generator writes for it (no Gateway runs
    # here: the objects are checked, not traffic through them)
    "tls_route": ["access.route={gateway: {name: public, namespace: gateways}, endpoint: s3, hostnames: [s3.example.com]}"],
    # the lost-disk check: MinIO heals a fresh drive from the others' erasure shards; the
    # bucket the function check made, with its object k1, is back on the new drive
    "disk_healed": ("/data/ossc", r"^k1$"),
    # the backup drills: each service backed up to this store and restored from it into a new instance
    "backup_drill": ["postgres", "galera", "valkey", "etcd", "nats", "cassandra", "minio", "rabbitmq"],
    # Cassandra's drill (two one-node Cassandra instances, about 8 minutes) would make MinIO's
    # lane outlast Cassandra's and keep MinIO from starting beside it (its fourth pod needs the
    # room): the whole tier (CI: 90 minutes in all) would grow by about 10 minutes. It runs on
    # demand; docs/backup.md has its last run.
    "drill_opt_in": {"cassandra": "Cassandra's drill adds about 10 minutes to the whole tier (MinIO's lane would outlast "
                                  "Cassandra's, and MinIO could not start beside it); its last run is in docs/backup.md",
                     "minio": "MinIO's drill (two four-node MinIO instances) would lengthen MinIO's lane, already the "
                              "tier's second longest, by about 5 minutes; its last run is in docs/backup.md",
                     "rabbitmq": "RabbitMQ's drill (definitions only: it checks the HTTP API's export and import, not "
                                 "data) would lengthen MinIO's lane by about 4 minutes; its last run is in docs/backup.md"},
    # the backup drill (under this store itself): another MinIO instance's buckets backed up
    # to this one and restored into a third, by a Job; four nodes (the entry's least) at a
    # tenth of a CPU each
    "drill": {"fill": minio_drill_fill, "digest": minio_drill_digest, "files": {"buckets", "objects", "config"}, "replicas": 4,
              "sets": ["capacity.cpu=100m", "capacity.memory=512Mi", "capacity.storage=1Gi"],
              "note": "a versioned bucket with a policy, a lifecycle rule and 202 objects (one overwritten, one of 9.6 MB), "
                      "and an empty bucket"},
    "sets": ["capacity.cpu=200m", "capacity.memory=512Mi", "capacity.storage=1Gi"],
    "write": lambda svc, key, val: c.sh(s3(svc, "try:\n    s3.create_bucket(Bucket='ossc')\n"
                                                "except s3.exceptions.BucketAlreadyOwnedByYou:\n    pass\n"
                                                f"s3.put_object(Bucket='ossc', Key='{key}', Body=b'{val}')")),
    "read": lambda svc, key: c.sh(s3(svc, f"print(s3.get_object(Bucket='ossc', Key='{key}')['Body'].read().decode())")).stdout,
    "read_op": lambda svc, key: s3(svc, f"assert s3.get_object(Bucket='ossc', Key='{key}')['Body'].read() == b'v1'"),
    "probe": probe_cmd(lambda svc: f"curl -sf --max-time 4 http://{svc.host()}:9000/minio/health/live"),
    "function_note": "S3 CreateBucket, PutObject and GetObject (signature v4, the generated root credentials "
                     "from the binding) with boto3 through the client Service",
    # an anonymous GET of the bucket the function check made: 403 from MinIO
    "unauthenticated": lambda svc: f"curl -sf --max-time 5 http://{svc.host()}:9000/ossc/k1",
    # the tls check: the binding's own keys over http to the TLS-only port, refused
    "plaintext": lambda svc: s3(svc, "s3.list_buckets()", plain=True),
    "peer_tls": minio_links_tls,
    # the try line runs the AWS CLI: a pod of the backups' uploader image, which is that CLI
    # (a lambda: this module is imported while conformance is still loading, before it has
    # uploader_image)
    "try_image": lambda: c.uploader_image(),
    # the tls check also backs this drill's instance up to the store while its TLS is on and
    # restores it: the uploader and the restore reach the store at https://, verifying it
    # against the CA of the store's binding (AWS_CA_BUNDLE), and so does PostgreSQL's archive
    # (its boto3 script, with the binding's ca.crt mounted in the database's pods)
    "tls_drill": "postgres",
}
SERVICES["minio"] = MINIO


# ---- not run yet: each prints a loud SKIPPED line with the exact reason ----
SERVICES.update({
    "opensearch": {"skip": "cannot run on this machine kind: OpenSearch's bootstrap checks refuse a clustered node "
                           "(transport on a non-loopback address) whose open-files limit is below 65535, and this "
                           "machine's hard limit is 20000 with no CAP_SYS_RESOURCE to raise it (every container "
                           "inherits it); besides, no registry here serves the 2.19.2 distribution (Maven Central has "
                           "the server and module jars, not the runnable layout of modules and plugins)"},
})


# ---- kafka: three combined broker/controller nodes; Kafka's own console clients ----
def kafka_client_config(svc, protocol=None):
    """The client properties, from the binding alone: written into the client pod's /tmp. With
    TLS on, the binding's CA is the truststore (`protocol` SASL_PLAINTEXT: without TLS)."""
    b = bind(svc)
    props = (f"security.protocol={protocol or b['security.protocol']}\nsasl.mechanism={b['sasl.mechanism']}\n"
             "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
             f"username=\"{b['username']}\" password=\"{b['password']}\";\n")
    ca = ""
    if "ca.crt" in b and not protocol:
        ca = save_ca(b, "/tmp/kafka-ca.crt")
        props += f"ssl.truststore.type={b['ssl.truststore.type']}\nssl.truststore.location=/tmp/kafka-ca.crt\n"
    return f"{ca}printf %s {shlex.quote(props)} > /tmp/client.properties && "


def kt(svc, tool, args, config=True):
    """One of Kafka's console tools, authenticated with the binding (`config`), or not."""
    flag = {"TopicCommand": "--command-config", "ConsoleProducer": "--producer.config"}.get(tool, "--consumer.config")
    auth = f"{flag} /tmp/client.properties " if config else ""
    return ((kafka_client_config(svc) if config else "") +
            f"KAFKA_HEAP_OPTS=-Xmx128m timeout 40 /opt/kafka/bin/kafka-run-class.sh org.apache.kafka.tools.{tool} "
            f"--bootstrap-server {svc.host()}:9092 {auth}{args}")


def kafka_write(svc, key, val):
    topic = per_key(key)
    c.sh(kt(svc, "TopicCommand", f"--create --if-not-exists --topic {topic} --partitions 1 --replication-factor 3"),
         pod=svc.d["load_pod"], timeout=60)
    c.sh(kafka_client_config(svc) + f"echo '{key}:{val}' | " +
         kt(svc, "ConsoleProducer", f"--topic {topic} --producer-property acks=all "
                                    "--property parse.key=true --property key.separator=:", config=False)
         .replace("--bootstrap-server", "--producer.config /tmp/client.properties --bootstrap-server"),
         pod=svc.d["load_pod"], timeout=60)


def kafka_read_cmd(svc, key="k1"):
    return kt(svc, "consumer.ConsoleConsumer", f"--topic {per_key(key)} --from-beginning --max-messages 1 --timeout-ms 20000 "
                                               "--property print.key=true")


def kafka_brokers_tls(svc):
    """With TLS on: the brokers' own listener is SASL_SSL (the configuration the image's start
    script wrote), and topic `ossc` (replication factor 3) has every replica in sync over it."""
    conf = c.k("exec", "-n", svc.ns, f"{svc.name}-0", "-c", svc.container, "--", "grep", "-E",
               "^(listener.security.protocol.map|inter.broker.listener.name)=",
               "/opt/kafka/config/server.properties").stdout
    if "SASL:SASL_SSL" not in conf or "inter.broker.listener.name=SASL" not in conf:
        raise c.Failure(f"the brokers do not replicate over SASL_SSL: {conf.strip()!r}")
    deadline = time.time() + 90
    while True:
        out = c.sh(kt(svc, "TopicCommand", "--describe --topic ossc"), pod=svc.d["load_pod"], timeout=60).stdout
        isr = re.findall(r"Isr:\s*([\d,]+)", out)
        if isr and all(len(x.split(",")) == svc.replicas for x in isr):
            return f"brokers replicate over SASL_SSL: topic ossc's {len(isr)} partition(s) have all {svc.replicas} replicas in sync"
        if time.time() > deadline:
            raise c.Failure(f"topic ossc's replicas are not all in sync over SASL_SSL after 90 s: {out.strip()[-300:]!r}")
        time.sleep(5)


def kafka_read_session(svc, stop):
    """The load during faults: one consumer session (librdkafka, Debian's python3-confluent-kafka
    in the client image) for the whole window, as an application keeps one, reading topic
    `ossc`'s first message (k1) again each time. Kafka's console tools start a JVM per
    operation: a handful of samples per window, too few to judge, and about one of this
    machine's two cores for as long as the load ran."""
    b = bind(svc)
    conf = {"bootstrap.servers": f"{svc.host()}:9092", "security.protocol": b["security.protocol"],
            "sasl.mechanism": b["sasl.mechanism"], "sasl.username": b["username"], "sasl.password": b["password"],
            "group.id": "ossc-load", "enable.auto.commit": False, "socket.timeout.ms": 10000}
    ca = ""
    if "ca.crt" in b:
        ca = save_ca(b, "/tmp/kafka-load-ca.crt")
        conf["ssl.ca.location"] = "/tmp/kafka-load-ca.crt"
    return (
        f"{ca}python3 - <<'PY'\n"
        "import os, time\n"
        "from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING\n"
        f"c = Consumer({conf!r})\n"
        f"while not os.path.exists('{stop}'):\n"
        "    try:\n"
        f"        c.assign([TopicPartition('{per_key('k1')}', 0, OFFSET_BEGINNING)])\n"
        "        m = c.poll(10)\n"
        "        if m is None:\n"
        "            print('err timeout', flush=True)\n"
        "        elif m.error():\n"
        "            print('err', m.error().name(), flush=True)\n"
        "        else:\n"
        "            print('ok' if m.value() == b'v1' else 'err wrong-value', flush=True)\n"
        "    except Exception as e:\n"
        "        print('err', type(e).__name__, flush=True)\n"
        "    time.sleep(0.2)\n"
        "c.close()\n"
        "PY")


KAFKA = {
    # the stand-in kafka_exporter reads the brokers from the cluster's metadata with the flags the
    # catalog gives the real one (SASL/SCRAM user and password, the TLS CA when on)
    "metrics_series": r"^kafka_brokers 3$",
    "metrics_note": " (a STAND-IN kafka_exporter: it takes the real one's flags and reads the brokers from the cluster's "
                    "metadata with the catalog's SASL/SCRAM user and password, not the real exporter's series)",
    "sets": ["capacity.cpu=500m", "capacity.memory=1Gi", "capacity.storage=1Gi", "settings.heap=512Mi"],
    "client_image": "docker.io/apache/kafka:4.1.0",
    "load_pod": "client-kafka",   # client-NAME: the pod of client_image the tier makes
    "read_session": kafka_read_session,
    "session_pod": "client",
    "write": kafka_write,
    "read": lambda svc, key: c.sh(kafka_read_cmd(svc, key), pod=svc.d["load_pod"], timeout=60).stdout,
    "read_op": lambda svc, key: kafka_read_cmd(svc) + " 2>/dev/null | grep -q v1",
    "probe": tcp_probe(9092),
    # the first consumer group makes the brokers create __consumer_offsets (50 partitions,
    # replication factor 3) while the consumer waits; on a loaded node tier that once took more
    # than the console consumer's 20 s (CI, stop 39: "read back ''"). A round trip is two
    # topic/producer JVMs and a consumer: the generic 30 s leaves no room for a second one.
    "first_round_trip": 120,
    "function_note": "topic with replication factor 3, produce (acks=all) and consume from the beginning with "
                     "Kafka's console clients through the client Service, SASL/SCRAM-SHA-512 with the binding's credentials",
    # listing topics without SASL: the broker closes the connection, the tool times out and fails
    # (run in load_pod, which has Kafka's tools)
    "unauthenticated": lambda svc: kt(svc, "TopicCommand", "--list", config=False).replace("timeout 40", "timeout 25"),
    # with TLS on: the binding's user and password over SASL_PLAINTEXT, which the broker refuses
    "peer_tls": kafka_brokers_tls,
    "plaintext": lambda svc: (kafka_client_config(svc, protocol="SASL_PLAINTEXT")
                              + kt(svc, "TopicCommand", "--list", config=False).replace("timeout 40", "timeout 25")
                              .replace("--bootstrap-server", "--command-config /tmp/client.properties --bootstrap-server")),
}
SERVICES["kafka"] = KAFKA


# ---- kafka-isolated: the packaging guide's example of `runtime.components`
# (examples/kafka-isolated.yaml): brokers, and three KRaft controllers as a component ----
def kafka_quorum(svc, what, check=True):
    """MetadataQuorumCommand `describe --WHAT` through the brokers, as the binding's user."""
    return c.sh(kafka_client_config(svc) + "KAFKA_HEAP_OPTS=-Xmx128m timeout 40 /opt/kafka/bin/kafka-run-class.sh "
                f"org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server {svc.host()}:9092 "
                f"--command-config /tmp/client.properties describe --{what}", pod=svc.d["load_pod"], timeout=60, check=check).stdout


def kafka_quorum_leader(svc):
    """The active controller's id, as the brokers report it (MetadataQuorumCommand), or None."""
    out = kafka_quorum(svc, "status", check=False)
    m = re.search(r"^LeaderId:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def kafka_controller_lost(svc, data_back):
    """The active controller's pod force-deleted: the two others elect a new leader, a new topic
    (metadata through the new leader) is written and read back, and the lost controller comes
    back Ready on its claim; the brokers never restarted."""
    selector = f"app.kubernetes.io/instance={svc.name},app.kubernetes.io/name={svc.name}-controller"
    c.wait_pods(svc.ns, selector, 3, 300, "controllers Ready")
    before = kafka_quorum_leader(svc)
    if before is None:
        raise c.Failure("the brokers report no active controller")
    restarts = lambda: sum(cs.get("restartCount", 0) for p in c.pods(svc.ns, svc.selector)
                           for cs in p["status"].get("containerStatuses", []))
    brokers_restarts = restarts()
    t = time.time()
    c.k("delete", "pod", "-n", svc.ns, f"{svc.name}-controller-{before}", "--grace-period=0", "--force", "--wait=false")
    after = None
    while time.time() - t < 120:
        after = kafka_quorum_leader(svc)
        if after is not None and after != before:
            break
        time.sleep(1)
    else:
        raise c.Failure(f"no new active controller 120 s after controller {before} was lost (last seen: {after})")
    elected = time.time() - t
    kafka_write(svc, "controller-lost", "v1")
    got = c.sh(kafka_read_cmd(svc, "controller-lost"), pod=svc.d["load_pod"], timeout=60).stdout
    if "v1" not in got:
        raise c.Failure(f"a topic made after controller {before} was lost read back {got.strip()[-200:]!r}")
    written = time.time() - t
    back = c.wait_pods(svc.ns, selector, 3, 300, "controllers Ready again")
    if restarts() != brokers_restarts:
        raise c.Failure(f"brokers restarted while controller {before} was away ({brokers_restarts} -> {restarts()} restarts)")
    return (f"controller {before} (the active one) force-deleted: controller {after} active {elected:.1f}s later, a new "
            f"topic written and read back {written:.1f}s after the loss, {svc.name}-controller-{before} Ready again "
            f"{time.time() - t:.0f}s after it (waited {back:.0f}s), no broker restarted") + data_back()


def kafka_brokers_registered(svc):
    """The brokers the controllers know (KRaft observers, MetadataQuorumCommand describe
    --replication), with the voters checked to be the three controllers still."""
    out = kafka_quorum(svc, "replication")
    rows = [line.split() for line in out.splitlines() if line.strip()]
    voters = sorted(r[0] for r in rows if r[-1] in ("Leader", "Follower"))
    if voters != ["0", "1", "2"]:
        raise c.Failure(f"the voters are {voters}, not the three controllers 0, 1, 2: {out.strip()[-400:]!r}")
    return sum(1 for r in rows if r[-1] == "Observer")


KAFKA_ISOLATED = {
    **KAFKA,
    "spec_file": "kafka-isolated",
    "load_pod": "client-kafka-isolated",
    "opt_in": "an example of the packaging guide that runs the catalog's Kafka image again (CI time); "
              "`scripts/node-tier kafka-isolated` runs it",
    "sets": KAFKA["sets"] + ["runtime.components.0.cpu=200m", "runtime.components.0.memory=768Mi",
                             "runtime.components.0.storage=1Gi"],
    "extra_checks": [("component: active controller lost", kafka_controller_lost)],
    # brokers register with the controllers: their count grows without touching the voter set
    "scale_to": 4,
    "scale_note": " (brokers registered with the controllers as KRaft observers; the voters still controllers 0, 1 and 2)",
    "members": kafka_brokers_registered,
}
SERVICES["kafka-isolated"] = KAFKA_ISOLATED


# ---- galera: the packaging guide's example (examples/mariadb-galera.yaml), three writable members ----
def my(svc, sql, auth=True, shell=False):
    """The mariadb client through the client Service, as the binding's user (or as root without
    a password); `shell`: the statement in double quotes, so that the shell expands `$i`."""
    if auth:
        b = bind(svc)
        who = f"-u {shlex.quote(b['username'])} -p{shlex.quote(b['password'])}"
    else:
        who = "-u root"
    stmt = f'"{sql}"' if shell else shlex.quote(sql)
    return f"mariadb --connect-timeout=5 -h {svc.host()} -P 3306 {who} -N -e {stmt}"


def my_drill_sql(name, sql):
    b = c.secret_data(c.CLIENT_NS, f"{name}-binding")
    return c.sh(f"env MYSQL_PWD={shlex.quote(b['password'])} mariadb --connect-timeout=5 -h {b['host']} -P {b['port']} "
                f"-u {shlex.quote(b['username'])} -N -B -e {shlex.quote(sql)}", timeout=60).stdout.strip()


def my_drill_fill(name):
    my_drill_sql(name, "CREATE DATABASE ossc; CREATE TABLE ossc.drill (k VARCHAR(16) PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB; "
                       "INSERT INTO ossc.drill SELECT CONCAT('k', seq), MD5(seq) FROM ossc.seq_1_to_1000; "
                       "CREATE DATABASE shop; CREATE TABLE shop.drill (k VARCHAR(16) PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB; "
                       "INSERT INTO shop.drill VALUES ('order-1', 'paid')")


def my_drill_digest(name, probe=False):
    if probe:
        return my_drill_sql(name, "SELECT 1")
    rows = "SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(k, '=', v ORDER BY k SEPARATOR ','))) FROM {}.drill"
    return my_drill_sql(name, rows.format("ossc")), my_drill_sql(name, rows.format("shop"))


GALERA = {
    "drill": {"fill": my_drill_fill, "digest": my_drill_digest, "files": {"databases", "dump.sql"},
              "note": "1000 rows in database ossc and 1 in a second database"},
    "spec_file": "mariadb-galera",
    "metrics_series": r"^mysql_up 1$",
    "sets": ["capacity.cpu=300m", "capacity.memory=768Mi", "capacity.storage=1Gi", "capacity.volumes.binlog.size=1Gi",
             "settings.bufferPool=256Mi", "settings.gcache=128Mi"],
    "write": lambda svc, key, val: c.sh(my(svc, "CREATE DATABASE IF NOT EXISTS ossc; "
                                                 "CREATE TABLE IF NOT EXISTS ossc.kv (k VARCHAR(64) PRIMARY KEY, v TEXT); "
                                                 f"REPLACE INTO ossc.kv VALUES ('{key}', '{val}')")),
    "read": lambda svc, key: c.sh(my(svc, f"SELECT v FROM ossc.kv WHERE k = '{key}'")).stdout,
    "read_op": lambda svc, key: my(svc, f"SELECT v FROM ossc.kv WHERE k = '{key}'") + " | grep -q v1",
    "probe": probe_cmd(lambda svc: my(svc, "SELECT 1")),
    "function_note": "CREATE/REPLACE/SELECT with the mariadb client through the client Service (any member), "
                     "as the binding's user",
    "unauthenticated": lambda svc: my(svc, "SELECT 1", auth=False),
    # the failover check: any member lost (multi-primary: none is special) while writes go
    # through the client Service; synchronous replication must lose no acknowledged write
    "primary": lambda svc: f"{svc.name}-0",
    "multi_primary": True,
    "failover_setup": lambda svc: my(svc, "CREATE DATABASE IF NOT EXISTS ossc; CREATE TABLE IF NOT EXISTS ossc.fo (id INT PRIMARY KEY)"),
    "failover_write": lambda svc: f"timeout 3 {my(svc, 'INSERT INTO ossc.fo VALUES ($i)', shell=True)} >/dev/null 2>&1",
    "failover_missing": lambda svc, f: ids_missing(f, my(svc, "SELECT id FROM ossc.fo")),
    "scale_to": 5,
    "scale_note": " (wsrep_cluster_size)",
    "members": lambda svc: int((c.sh(my(svc, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'")).stdout.split() or ["0", "0"])[-1]),
}


def galera_all_waiting(svc, data_back):
    """Every member stopped, none marked safe to found the cluster (as when all stop at the same
    moment): the members tell each other their positions and the most advanced founds it."""
    base = [f for f in getattr(svc, "applied", ()) if not f.startswith("lifecycle.state=")]  # as the checks before left it
    svc.apply(*base, "lifecycle.state=stopped")
    c.wait_pods(svc.ns, svc.selector, 0, (svc.grace + 30) * svc.replicas + 30, "pods gone")
    seqnos = []
    for i in range(svc.replicas):
        out = c.run_on_claim(svc, f"data-{svc.name}-{i}", 999,
                             "sed -i 's/^safe_to_bootstrap: *1/safe_to_bootstrap: 0/' /data/grastate.dat && "
                             "sed -n 's/^\\(seqno\\|safe_to_bootstrap\\): *//p' /data/grastate.dat | tr '\\n' ' '")
        seqnos.append(out.strip())
    t = time.time()
    svc.apply(*base)
    c.wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
    founder = [p["metadata"]["name"] for p in c.pods(svc.ns, svc.selector)
               if "the most advanced" in c.k("logs", "-n", svc.ns, p["metadata"]["name"], "-c", svc.container, check=False).stdout]
    if len(founder) != 1:
        raise c.Failure(f"{len(founder)} members founded the cluster ({founder}); grastate (seqno, safe) was {seqnos}")
    size = svc.op("members")
    if size != svc.replicas:
        raise c.Failure(f"{size} members after the restart, wanted {svc.replicas}")
    return (f"stopped, every grastate.dat marked unsafe (seqno and safe_to_bootstrap after marking: {seqnos}); started: {founder[0]} "
            f"founded the cluster as the most advanced, {size} members, Ready in {time.time() - t:.0f}s") + data_back()


GALERA["extra_checks"] = [("restart: no member safe to found", galera_all_waiting)]
SERVICES["galera"] = GALERA


# Each lane's seconds in a whole run (2026-12-05, three at a time; MinIO's with its five
# drills, NATS's included, the keep: 1 check in the first only, a drill's namespaces deleted
# while the next one runs; MinIO's from stop 42's run, with its tls check and the etcd drill
# against the TLS store in it). The
# tier starts Cassandra first: its scale check's new pod (0.9 CPU) finds room only when it runs
# alone, so what runs beside it must end before that check (conformance.Ledger): MinIO (with
# its backup drills) and ZooKeeper do. Then the longest first, so that the longest lanes
# overlap the others. Opensearch is skipped.
LANES = {"cassandra": 1352, "minio": 1360, "kafka": 907, "rabbitmq": 635, "valkey": 631, "nats": 563,
         "galera": 550, "zookeeper": 491, "postgres": 481, "etcd": 433, "memcached": 428, "function": 142}
# services a default run leaves out (each says why), run when named
OPT_IN = {n: d["opt_in"] for n, d in SERVICES.items() if d.get("opt_in")}
ORDER = ["cassandra"] + sorted((n for n in SERVICES if n != "cassandra" and n not in OPT_IN), key=lambda n: -LANES.get(n, 0))
