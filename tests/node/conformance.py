#!/usr/bin/env python3
"""The node tier's conformance checks: each catalog service's bundle, applied exactly as `ossc
build` emits it to a real three-node cluster (scripts/cluster start --nodes 3), must become Ready,
answer a real client, heal, respect its disruption budget, stop and start, restart and upgrade
rolling, scale, and refuse clients its NetworkPolicy does not list.

Run by scripts/node-tier (which builds the images, starts and stops the cluster); alone:
    KUBECONFIG=... OSSC=target/release/ossc python3 tests/node/conformance.py [SERVICE...]

Per-service knowledge (capacity lowered for this 2-core machine, the client's commands, how
membership is read) is in tests/node/services.py. Results go to target/node-tier/results.json and,
as a table, into docs/runtime.md between the node-tier markers.
"""
import base64
import calendar
import functools
import http.client
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
import services as catalog  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OSSC = os.environ.get("OSSC", str(ROOT / "target/release/ossc"))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
NODE_HOME = Path(os.environ.get("NODE_HOME", Path.home() / ".cache/ossc-cluster/nodes"))
CRICTL = os.environ.get("CRICTL", str(Path.home() / ".cache/ossc-cluster/bin/crictl"))
OUT = ROOT / "target/node-tier"
# the specs as they were when the tier started (see snapshot_specs): a spec edited while the
# tier runs must not meet a binary built before the edit
SPECS = OUT / "specs"
CLIENT_IMAGE = "ossc.dev/test-client:1"
CLIENT_NS, OUTSIDE_NS = "ossc-clients", "ossc-outside"
# the namespace the bundles admit scrapers from (access.monitoringNamespace, default)
MONITORING_NS = "monitoring"
CLIENT_LABEL = {"ossc.dev/role": "client"}


STARTED = time.time()


def log(msg):
    """One line of the tier's output, with the seconds since the checks began (to read which
    services ran together, and for how long)."""
    print(f"[{time.time() - STARTED:5.0f}s] {msg}", flush=True)


def cpu_times():
    """(busy, total) jiffies of the machine so far, from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


class CpuSampler:
    """How busy the machine's cores were while the checks ran, per interval: whether running
    more services side by side could shorten the tier (idle cores) or not (saturated)."""

    def __init__(self, every=60):
        self.every, self.samples, self.first = every, [], cpu_times()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        last = self.first
        while True:
            time.sleep(self.every)
            now = cpu_times()
            self.samples.append((now[0] - last[0]) / max(1, now[1] - last[1]))
            last = now

    def summary(self):
        now = cpu_times()
        busy = (now[0] - self.first[0]) / max(1, now[1] - self.first[1])
        per = " ".join(f"{100 * b:.0f}" for b in self.samples)
        return f"CPU busy {100 * busy:.0f}% of {os.cpu_count()} cores over the checks; per minute: {per}"


def run(args, input=None, timeout=120, check=True):
    p = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise Failure(f"{' '.join(args[:6])}... exited {p.returncode}: {(p.stderr or p.stdout).strip()[-600:]}")
    return p


def k(*args, input=None, timeout=120, check=True):
    return run([KUBECTL, *args], input=input, timeout=timeout, check=check)


class Failure(Exception):
    pass


class Api:
    """GETs against the API server over one kept-alive connection per thread, for the reads the
    checks poll (pods every half second while a service rolls, Secrets until a Job wrote them).
    The kubectl processes of the polls and execs together used 194 CPU-seconds in the first 19
    minutes of a run, a sixth of one of this machine's two cores (besides the API server's
    share of each handshake), all of it taken from the services under test. Reads the
    kubeconfig's server, CA and bearer token (what scripts/cluster writes); with any other kind
    of kubeconfig every read goes through kubectl."""

    def __init__(self):
        self.local, self.conf = threading.local(), None
        try:
            cfg = yaml.safe_load(open(os.environ["KUBECONFIG"]))
            ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == cfg["current-context"])
            cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
            user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
            url = urllib.parse.urlsplit(cluster["server"])
            if url.scheme == "https" and user.get("token") and cluster.get("certificate-authority"):
                self.conf = (url.hostname, url.port or 443, cluster["certificate-authority"], user["token"])
        except (KeyError, OSError, StopIteration, TypeError, yaml.YAMLError):
            self.conf = None

    def get(self, path):
        """The object or list at `path` (None when it does not exist)."""
        if self.conf is None:
            return self._kubectl(path)
        host, port, ca, token = self.conf
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again once
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPSConnection(host, port, timeout=30,
                                                   context=ssl.create_default_context(cafile=ca))
                self.local.conn = conn
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
                continue
            if r.status == 404:
                return None
            if r.status != 200:
                raise Failure(f"GET {path}: {r.status} {body[:300]!r}")
            return json.loads(body)

    @staticmethod
    def _kubectl(path):
        p = k("get", "--raw", path, check=False)
        if p.returncode != 0:
            if "NotFound" in p.stderr or "not found" in p.stderr:
                return None
            raise Failure(f"GET {path}: {p.stderr.strip()[-300:]}")
        return json.loads(p.stdout)


API = None  # made on first use (api()), when KUBECONFIG is set


def api():
    global API
    if API is None:
        API = Api()
    return API


def api_time(stamp):
    """Seconds since the epoch of a time as the API writes it (2026-01-02T03:04:05Z)."""
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def secret_data(ns, name):
    """A Secret's keys, decoded (empty when it does not exist)."""
    obj = api().get(f"/api/v1/namespaces/{ns}/secrets/{name}")
    if not obj:
        return {}
    return {key: base64.b64decode(v).decode() for key, v in (obj.get("data") or {}).items()}


class Skip(Exception):
    pass


# ------------------------------------------------------------------ cluster helpers ---
def pods(ns, selector):
    q = urllib.parse.urlencode({"labelSelector": selector})
    return (api().get(f"/api/v1/namespaces/{ns}/pods?{q}") or {"items": []})["items"]


def ready(p):
    if p["metadata"].get("deletionTimestamp"):
        return False
    conds = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
    return conds.get("Ready") == "True"


def wait_pods(ns, selector, count, timeout, what="pods Ready"):
    """Waits until exactly `count` pods match and all are Ready; returns the seconds it took."""
    t0 = time.time()
    while True:
        ps = pods(ns, selector)
        live = [p for p in ps if not p["metadata"].get("deletionTimestamp")]
        if all(ready(p) for p in live) and len(live) == count and (count or not ps):
            return time.time() - t0
        if time.time() - t0 > timeout:
            states = ", ".join(f"{p['metadata']['name']}:{p['status'].get('phase')}"
                               f"{'/ready' if ready(p) else ''}{unscheduled(p)}" for p in ps)
            raise Failure(f"{what}: want {count}, after {timeout:.0f}s: [{states}]")
        time.sleep(1)


def unscheduled(p):
    """Why the scheduler has not placed a pod (its PodScheduled condition), or nothing."""
    for cond in p.get("status", {}).get("conditions", []):
        if cond["type"] == "PodScheduled" and cond["status"] != "True":
            return f" ({cond.get('message') or cond.get('reason')})"
    return ""


def cpu(quantity):
    """A CPU quantity in cores."""
    q = str(quantity)
    return int(q[:-1]) / 1000 if q.endswith("m") else float(q)


def requested_cpu(pod_spec):
    """The CPU a pod's containers request, in cores."""
    return sum(cpu(c.get("resources", {}).get("requests", {}).get("cpu", "0")) for c in pod_spec["containers"])


def pod_node_socket(pod):
    node = pod["spec"]["nodeName"]  # node-a -> its containerd
    return NODE_HOME / node / "containerd.sock"


def kill_main_process(pod, container):
    """SIGKILL to the container's main process, from the node (as an OOM kill or crash would)."""
    sock = f"unix://{pod_node_socket(pod)}"
    cid = run([CRICTL, "-r", sock, "ps", "-q", "--name", f"^{container}$",
               "--label", f"io.kubernetes.pod.uid={pod['metadata']['uid']}"]).stdout.split()
    if not cid:
        raise Failure(f"no running container {container} in {pod['metadata']['name']}")
    info = json.loads(run([CRICTL, "-r", sock, "inspect", cid[0]]).stdout)
    pid = info["info"]["pid"]
    os.kill(pid, 9)
    return pid


def restarts(pod, container):
    for s in pod.get("status", {}).get("containerStatuses", []):
        if s["name"] == container:
            return s.get("restartCount", 0)
    return 0


def evict(ns, name):
    body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}})
    p = k("create", "--raw", f"/api/v1/namespaces/{ns}/pods/{name}/eviction", "-f", "-", input=body, check=False)
    text = (p.stdout + p.stderr)
    if p.returncode == 0:
        return "evicted"
    if "429" in text or "TooManyRequests" in text or "disruption budget" in text:
        return "refused"
    raise Failure(f"eviction of {name}: {text.strip()[-300:]}")


# ------------------------------------------------------------------ clients ---
def client_pod_yaml(ns, name, labels):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10000, "runAsGroup": 10000,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "client", "image": CLIENT_IMAGE, "imagePullPolicy": "IfNotPresent",
                "command": ["sleep", "infinity"],
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": True},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
            }],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        },
    }


def ensure_clients():
    docs = []
    for ns in (CLIENT_NS, OUTSIDE_NS, MONITORING_NS):
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {
            "pod-security.kubernetes.io/enforce": "restricted"}}})
    docs.append(client_pod_yaml(MONITORING_NS, "scraper", {}))               # what Prometheus would be
    docs.append(client_pod_yaml(CLIENT_NS, "client", CLIENT_LABEL))          # listed in access.clients
    docs.append(client_pod_yaml(CLIENT_NS, "unlisted", {"ossc.dev/role": "other"}))  # same namespace, not listed
    docs.append(client_pod_yaml(OUTSIDE_NS, "intruder", CLIENT_LABEL))       # right labels, wrong namespace
    k("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    for ns, name in ((CLIENT_NS, "client"), (CLIENT_NS, "unlisted"), (OUTSIDE_NS, "intruder"), (MONITORING_NS, "scraper")):
        k("wait", "--for=condition=Ready", f"pod/{name}", "-n", ns, "--timeout=180s", timeout=200)


def masked(text):
    """`text` with the passwords a client command carries replaced by *** (a URL's
    `user:password@`, `--password X`, `-p X` unless X is a port number): failures are logged
    and kept in results.json."""
    text = re.sub(r"(://[^:/@\s'\"]*:)[^@\s'\"]+@", r"\1***@", text)
    text = re.sub(r"(-p[ =]+)(?!\d+(?:\s|$))('[^']*'|\S+)", r"\1***", text)
    return re.sub(r"((?:--password|--pass)[ =]+)('[^']*'|\S+)", r"\1***", text)


def sh(script, pod="client", ns=CLIENT_NS, timeout=60, check=True):
    """Runs a shell script in a client pod; returns stdout."""
    p = k("exec", "-n", ns, pod, "--", "bash", "-c", script, timeout=timeout + 10, check=False)
    if check and p.returncode != 0:
        raise Failure(f"client command failed ({p.returncode}): {masked(script)[:120]!r}: {(p.stderr or p.stdout).strip()[-400:]}")
    return p


class Load:
    """A client that keeps reading (or writing) while something happens, counting failures. The
    loop runs inside the client pod (one `kubectl exec` for the whole window, an operation every
    0.2 s), so what is counted is the service's answers, not kubectl's start-up."""

    def __init__(self, op, pod="client", session=None):
        """`op`: a shell command, run once per operation. `session(stop_file)`: instead, a
        script that keeps one client session open (as an application does) and prints `ok` or
        `err` per operation until stop_file exists; what is counted is then the service's
        answers, not the client's start-up (a JVM or a driver per operation on a loaded machine)."""
        self.op, self.ok, self.err, self.pod = op, 0, 0, pod
        self.tag = f"load-{threading.get_ident()}-{time.monotonic_ns()}"
        if session:
            loop = f"rm -f /tmp/{self.tag}; {session(f'/tmp/{self.tag}')}"
        else:
            loop = (f"rm -f /tmp/{self.tag}; while [ ! -e /tmp/{self.tag} ]; do "
                    f"if ( {op}\n) >/dev/null 2>&1; then echo ok; else echo err; fi; sleep 0.2; done")
        self.proc = subprocess.Popen([KUBECTL, "exec", "-n", CLIENT_NS, pod, "--", "bash", "-c", loop],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    @classmethod
    def reads(cls, svc):
        """A client that keeps reading k1 from the service, as its spec's checks read it."""
        if svc.d.get("read_session"):
            return cls(None, svc.d.get("session_pod", svc.d.get("load_pod", "client")),
                       lambda stop: svc.d["read_session"](svc, stop))
        return cls(svc.d["read_op"](svc, "k1"), svc.d.get("load_pod", "client"))

    def start(self):
        time.sleep(1)

    def finish(self):
        k("exec", "-n", CLIENT_NS, self.pod, "--", "touch", f"/tmp/{self.tag}", check=False)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        lines = [line.split() for line in out.splitlines() if line.strip()]
        self.ok = sum(1 for w in lines if w[0] == "ok")
        self.err = sum(1 for w in lines if w[0] == "err")
        total = self.ok + self.err
        note = "" if self.judged() else f"; fewer than {self.MIN_SAMPLES} operations: the rate is reported, not judged"
        # a session names what failed (`err <kind>`); the kinds seen say why, not just how often
        kinds = sorted({w[1] for w in lines if w[0] == "err" and len(w) > 1})
        if kinds:
            note += f" (errors: {', '.join(kinds)})"
        return f"{self.err}/{total} client ops failed ({100.0 * self.err / total if total else 0:.0f}%){note}"

    # a client whose every operation starts a JVM (Kafka's console tools) gets a handful of
    # samples in a window; a rate over fewer than this many is not a measurement
    MIN_SAMPLES = 10

    def judged(self):
        return self.ok + self.err >= self.MIN_SAMPLES


# ------------------------------------------------------------------ one service ---
class Service:
    def __init__(self, name):
        self.name = name
        self.d = catalog.SERVICES[name]
        self.ns = name
        # a catalog entry, or an example of the packaging guide (examples/, `spec_file`)
        self.file = self.d.get("spec_file", name)
        self.spec = yaml.safe_load(open(SPECS / f"{self.file}.yaml"))
        # the workload's own selector: the credentials Job's pod shares the instance label only
        self.selector = f"app.kubernetes.io/instance={name},app.kubernetes.io/name={name}"
        self.replicas = self.spec.get("redundancy", {}).get("replicas", 1)
        self.stateful = self.spec["runtime"]["state"] == "stateful"
        self.container = name
        st = self.spec["runtime"].get("health", {}).get("startupTimeout", "5m")
        self.startup = parse_duration(st)
        self.grace = parse_duration(self.spec["runtime"].get("stop", {}).get("gracePeriod", "30s"))
        # an ordered StatefulSet starts and stops its pods one at a time
        self.ordered = self.stateful and self.spec["runtime"].get("startOrder", "ordered") == "ordered"
        self.workload = "statefulset" if self.stateful else "deployment"
        OUT.mkdir(parents=True, exist_ok=True)
        self.overlay = OUT / f"{name}-overlay.yaml"
        ov = {"apiVersion": "openservice.dev/v1alpha1", "kind": "Service", "extends": f"specs/{self.file}.yaml",
              "access": {"clients": [{"namespace": CLIENT_NS, "podLabels": CLIENT_LABEL}]}}
        self.overlay.write_text(yaml.safe_dump(ov, sort_keys=False))

    def try_line(self, *extra):
        """The first command `ossc connect` prints for this install (its `try` line)."""
        args = [OSSC, "connect", str(self.overlay)]
        for s in self.d.get("sets", []) + list(extra):
            args += ["--set", s]
        out = run(args, timeout=60).stdout
        return next((line[len("try"):].strip() for line in out.splitlines() if line.startswith("try ")), None)

    def run_try(self, *extra):
        """Runs the `try` line as the connect text says: in a client pod with the binding as
        environment (its keys that are shell names) and its ca.crt saved as `ca.crt`. Returns
        the output; a command the client image lacks is a Skip that names it."""
        line = self.try_line(*extra)
        if not line:
            raise Skip("ossc connect prints no try line")
        b = self.binding()
        env = "".join(f"export {k}={shlex.quote(v)}; " for k, v in b.items() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k))
        ca = f"printf %s {shlex.quote(b['ca.crt'])} > ca.crt; " if "ca.crt" in b else ""
        d = f"/tmp/try-{self.name}"
        pod = self.d.get("load_pod", "client")
        image = self.d.get("try_image") or (self.spec["runtime"]["image"] if self.d.get("try_in_own_image") else None)
        image = image() if callable(image) else image
        if image:
            # the client the try line names ships with the service's own image (zkCli.sh, cqlsh)
            # or another the entry names (the AWS CLI's, MinIO's): a client pod of that image,
            # with the client's labels
            pod = f"try-{self.name}"
            spec = client_pod_yaml(CLIENT_NS, pod, CLIENT_LABEL)
            spec["spec"]["containers"][0].update(image=image)
            spec["spec"]["containers"][0]["resources"]["limits"]["memory"] = "768Mi"
            k("apply", "-f", "-", input=yaml.safe_dump(spec))
            k("wait", "--for=condition=Ready", f"pod/{pod}", "-n", CLIENT_NS, "--timeout=180s", timeout=200)
        p = sh(f"rm -rf {d} && mkdir -p {d} && cd {d} && export HOME=/tmp && {env}{ca}timeout 60 bash -c {shlex.quote(line)}",
               pod=pod, check=False, timeout=90)
        # what the client printed may echo the credentials (the NATS CLI prints its URL): never in a report
        def hide(text):
            return text.replace(b["password"], "***") if b.get("password") else text
        p.stdout, p.stderr = hide(p.stdout), hide(p.stderr)
        if p.returncode == 127:
            raise Skip(f"the client image lacks the try line's command ({p.stderr.strip()[-160:]}): `{line}`")
        if p.returncode != 0:
            out = (p.stdout + p.stderr).strip()
            # a JVM client's reason is in its exception lines, not in the last ones
            why = [x.strip() for x in out.splitlines() if re.search(r"Exception|ERROR|Caused by", x)][:4]
            raise Failure(f"`{line}` failed ({p.returncode}): {' | '.join(why)[:800] or out[-300:]}")
        return (p.stdout.strip().splitlines() or [""])[-1][:120]

    def build(self, *extra):
        args = [OSSC, "build", str(self.overlay)]
        for s in self.d.get("sets", []) + list(extra):
            args += ["--set", s]
        p = run(args, timeout=60)
        return p.stdout

    def apply(self, *extra):
        self.applied = extra  # what the last apply set (the uninstall check deletes and restores that)
        bundle = self.build(*extra)
        (OUT / f"{self.name}-bundle.yaml").write_text(bundle)
        k("apply", "--server-side", "--force-conflicts", "-f", "-", input=bundle, timeout=120)

    def images(self):
        imgs = set()
        for doc in yaml.safe_load_all(self.build()):
            spec = pod_template(doc)
            for c in (spec or {}).get("initContainers", []) + (spec or {}).get("containers", []):
                imgs.add(c["image"])
        return sorted(imgs)

    def cpu(self):
        """The CPU its pods request (with its Jobs' pods), as built and scaled to scale_to (what
        the tier's CPU ledger reserves for it before and during its scale check), and that of
        the largest pod the scale check adds (what must find room on one node)."""
        built = scaled = new_pod = 0.0
        docs = list(yaml.safe_load_all(self.build()))
        # the drills' instances run beside this service, one at a time, with their backup pods
        drills = [list(yaml.safe_load_all(drill_bundle(self, o, f"{o}-backed-up"))) for o in drills_to_run(self.d)[0]]
        if drills:
            docs += max(drills, key=lambda ds: sum(requested_cpu(pod_template(d)) for d in ds if pod_template(d)))
        for doc in docs:
            spec = pod_template(doc)
            if spec is None:
                continue
            per_pod = requested_cpu(spec)
            once = doc["kind"] in ("Job", "CronJob")
            # a Deployment an autoscaler sizes has no replicas: it runs the spec's
            count = 1 if once else doc["spec"].get("replicas", self.replicas)
            grown = count if once else max(count, self.d.get("scale_to") or 0)
            built += per_pod * count
            scaled += per_pod * grown
            if grown > count:
                new_pod = max(new_pod, per_pod)
        return built, scaled, new_pod

    def op(self, name, *a):
        return self.d[name](self, *a)

    def binding(self):
        """The Service Binding Secret's keys, decoded: all a client is given to connect. Read
        from the client's own namespace, where the bundle writes a copy (access.clients)."""
        return secret_data(CLIENT_NS, f"{self.name}-binding")

    def rebuilt_image(self):
        """The tag the upgrade check rolls to: the same image, retagged on every node."""
        return self.spec["runtime"]["image"] + "-rebuild"

    def upgraded(self):
        """The --set flags of the state the upgrade and restart checks leave the service in;
        later checks apply on top of it, so that they change only what they test."""
        return [f"runtime.image={self.rebuilt_image()}", "lifecycle.restartGeneration=1"]

    def host(self):
        return f"{self.name}.{self.ns}.svc.cluster.local"


def parse_duration(s):
    mult = {"s": 1, "m": 60, "h": 3600}
    return int(s[:-1]) * mult[s[-1]]


DRILL_BUCKET = "ossc-backups"


def drills_to_run(d):
    """The backup drills an entry runs (OSSC_NODE_DRILLS=galera,etcd: those alone; by default
    every one but the entry's `drill_opt_in`), and the opt-in ones left out, with why."""
    every = d.get("backup_drill", [])
    wanted = [x for x in os.environ.get("OSSC_NODE_DRILLS", "").split(",") if x]
    if wanted:
        return [x for x in every if x in wanted], {}
    opt_in = d.get("drill_opt_in", {})
    return [x for x in every if x not in opt_in], {x: why for x, why in opt_in.items() if x in every}


def drill_bundle(svc, other, name, restore_from=None, extra=(), at=None):
    """The bundle of the backup drill's instance `name` of service `other`: one replica (or the
    drill's `replicas`), backed up to `svc` (keeping one backup), restoring `restore_from`'s
    latest (to the moment `at`, when given); `extra`: more --set arguments."""
    drill = catalog.SERVICES[other]["drill"]
    # the schedule: twelve hours from now, so that the CronJob never fires during the drill. The
    # default (a daily minute hashed from the instance's name) once fired in one (etcd's at
    # 14:36 UTC), and its backup stood beside the drill's in the store
    hour = (time.gmtime().tm_hour + 12) % 24
    backup = {"keep": 1, "schedule": f"0 {hour} * * *", "store": {"service": svc.name, "namespace": svc.ns, "bucket": DRILL_BUCKET}}
    if restore_from:
        backup["restore"] = {"instance": restore_from} | ({"time": at} if at else {})
    overlay = OUT / f"{name}-overlay.yaml"
    overlay.write_text(yaml.safe_dump({
        "apiVersion": "openservice.dev/v1alpha1", "kind": "Service",
        "extends": f"specs/{catalog.SERVICES[other].get('spec_file', other)}.yaml",
        "metadata": {"name": name}, "redundancy": {"replicas": drill.get("replicas", 1)},
        "slo": {"availability": drill.get("availability", 99)},
        "access": {"clients": [{"namespace": CLIENT_NS, "podLabels": CLIENT_LABEL}]}, "backup": backup}, sort_keys=False))
    args = [OSSC, "build", str(overlay)]
    # the drill's own settings when it has them (a smaller instance), else the entry's
    for s in [*drill.get("sets", catalog.SERVICES[other].get("sets", [])), *extra]:
        args += ["--set", s]
    text = run(args, timeout=60).stdout
    (OUT / f"{name}-bundle.yaml").write_text(text)
    return text


@functools.cache
def uploader_image():
    """The image of the backups' uploader (the AWS CLI's), as the compiler pins it: read from
    the `upload` container of a backup CronJob it builds, never written here a second time."""
    text = run([OSSC, "build", "tests/backup/postgres-backup.yaml"], timeout=60).stdout
    for doc in yaml.safe_load_all(text):
        if (doc or {}).get("kind") == "CronJob":
            return next(ct["image"] for ct in pod_template(doc)["containers"] if ct["name"] == "upload")
    raise Failure("tests/backup/postgres-backup.yaml built no backup CronJob")


def pod_template(doc):
    """The pod spec of a workload, Job or CronJob document; None for other kinds."""
    if not doc:
        return None
    if doc.get("kind") == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if doc.get("kind") in ("StatefulSet", "Deployment", "Job"):
        return doc["spec"]["template"]["spec"]
    return None


def check_service(svc, results):
    def record(check, status, detail=""):
        results.append({"service": svc.name, "check": check, "status": status, "detail": detail})
        log(f"{status:7} {svc.name} {check}: {detail}")

    only = [c for c in os.environ.get("OSSC_NODE_CHECKS", "").split(",") if c]

    def only_some(check):
        """Whether OSSC_NODE_CHECKS leaves this check out."""
        return only and check not in ("ready", "function") and not any(check.startswith(o) for o in only)

    def attempt(check, fn, also=()):
        """Runs a check and records it; `also`: checks that run inside it, so that selecting
        one of them (OSSC_NODE_CHECKS) runs this one too."""
        if only_some(check) and all(only_some(c) for c in also):
            return True
        if check in svc.d.get("known_failures", {}):
            # a failure the tier found and the project has not fixed yet: printed loudly as
            # SKIPPED with what was observed, never as a pass
            record(check, "SKIPPED", "KNOWN FAILURE, not run: " + svc.d["known_failures"][check])
            return True
        try:
            detail = fn()
            record(check, "PASS", detail or "")
            return True
        except Skip as e:
            record(check, "SKIPPED", str(e))
        except (Failure, subprocess.TimeoutExpired) as e:
            record(check, "FAIL", str(e))
            # what the pods said, so that a failure in CI can be read without rerunning it
            dump(svc)
        return False

    for pre in svc.d.get("before", []):
        pre(svc)
    if svc.d.get("client_image"):
        # a client that needs the service's own tools (e.g. Kafka's console clients) runs in a
        # pod of that image, with the listed client's labels
        pod = client_pod_yaml(CLIENT_NS, f"client-{svc.name}", CLIENT_LABEL)
        pod["spec"]["containers"][0]["image"] = svc.d["client_image"]
        pod["spec"]["containers"][0]["resources"]["limits"]["memory"] = "768Mi"
        k("apply", "-f", "-", input=yaml.safe_dump(pod))
        k("wait", "--for=condition=Ready", f"pod/client-{svc.name}", "-n", CLIENT_NS, "--timeout=180s", timeout=200)
    t0 = time.time()

    def ready_check():
        svc.apply()
        secs = wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        ready = f"{svc.replicas} pods Ready in {time.time() - t0:.0f}s (startup timeout {svc.startup}s)"
        steps = wait_bootstrap(svc)
        if steps:
            # the spec's bootstrap steps (e.g. Cassandra's superuser) finish after the pods are
            # Ready; a client is served only then
            ready += f"; bootstrap ({steps}) complete {time.time() - t0:.0f}s after apply"
        return ready

    if not attempt("ready", ready_check):
        return

    def function():
        # NetworkPolicy programming is eventually consistent (every engine): the first round
        # trip (write, then read back) is retried for up to 30 s after the pods are Ready, and
        # the wait is reported. The read is inside the retry too: for a cache or a stateless
        # service the write is nothing, and the read is the first request that crosses the policy.
        t, waited = time.time(), ""
        while True:
            try:
                svc.op("write", "k1", "v1")
                got = svc.op("read", "k1")
                if "v1" not in got:
                    raise Failure(f"read back {got!r}, wanted v1")
                break
            except Failure:
                if time.time() - t > svc.d.get("first_round_trip", 30):
                    raise
                time.sleep(2)
                waited = f" (first round trip {time.time() - t:.0f}s after Ready)"
        return svc.d.get("function_note", "round trip through the client Service") + waited

    if not attempt("function", function):
        return

    def connect_try():
        """The first command `ossc connect` prints, run as it says, with the service's own client."""
        line = svc.try_line()
        return f"`{line}` answered: {retried(svc.run_try, 30)}"

    attempt("connect: try", connect_try)

    def access():
        # The same probe must pass for the listed client. A replica that has just become Ready
        # may not yet be admitted by the NetworkPolicy engine (its address is new), and a probe
        # through the Service can land on it: the listed client gets 4 tries, 5 s apart, and the
        # line says when it needed more than one. The refused clients get one try each: one
        # answer is already a failure.
        for attempt in range(1, 5):
            p = svc.op("probe", "client", CLIENT_NS)
            if p.returncode == 0:
                break
            time.sleep(5)
        if p.returncode != 0:
            raise Failure(f"the listed client's probe failed 4 times, 5 s apart: {(p.stderr or p.stdout).strip()[-200:]}")
        retried = f" (at try {attempt})" if attempt > 1 else ""
        for pod, ns in (("unlisted", CLIENT_NS), ("intruder", OUTSIDE_NS)):
            p = svc.op("probe", pod, ns)
            if p.returncode == 0:
                raise Failure(f"{ns}/{pod} got through: {p.stdout.strip()[-200:]}")
        return f"listed client served{retried}; {CLIENT_NS}/unlisted and {OUTSIDE_NS}/intruder refused"

    attempt("access", access)

    def credentials():
        """The binding holds what a client needs; a client without the credentials is refused;
        re-applying the bundle leaves the generated Secret as it was."""
        b = svc.binding()
        missing = [key for key in ("type", "provider", "host", "port", "uri") if key not in b]
        if missing:
            raise Failure(f"binding Secret {svc.name}-binding lacks {missing} (has {sorted(b)})")
        if secret_data(svc.ns, f"{svc.name}-binding") != b:
            raise Failure(f"the binding in {CLIENT_NS} differs from the one in {svc.ns}")
        if not svc.spec.get("credentials"):
            return f"binding {svc.name}-binding ({b['type']}): {', '.join(sorted(b))}; the service has no credentials (its entry says why)"
        cred = secret_data(svc.ns, f"{svc.name}-credentials")
        if set(cred) != set(svc.spec["credentials"]):
            raise Failure(f"credentials Secret has {sorted(cred)}, the spec declares {sorted(svc.spec['credentials'])}")
        p = sh(svc.d["unauthenticated"](svc), pod=svc.d.get("load_pod", "client"), check=False, timeout=45)
        if p.returncode == 0:
            raise Failure(f"a client without credentials was served: {p.stdout.strip()[-200:]}")
        svc.apply()
        time.sleep(3)
        if secret_data(svc.ns, f"{svc.name}-credentials") != cred:
            raise Failure("re-applying the bundle changed the credentials Secret")
        added = added_key(cred)
        return (f"binding {svc.name}-binding ({b['type']}) in {svc.ns} and {CLIENT_NS}: {', '.join(sorted(b))}; a client without credentials refused; "
                f"re-applying kept the generated credentials unchanged; {added}")

    def added_key(cred):
        """An older Secret without a key the entry now declares (an upgrade that adds a
        credential): the generator, run again, adds that key and keeps the others. The key's old
        value is put back afterwards, so the running service is not disturbed."""
        if (svc.spec.get("access") or {}).get("credentialsSecret"):
            return "the credentials Secret is the consumer's: the generator never writes it"
        declared = svc.spec["credentials"]
        victim = next((key for key in sorted(declared) if "random" in (declared[key] or {})), sorted(declared)[-1])
        secret = f"{svc.name}-credentials"
        # the generator rewrites the bindings from the new value: they are put back too
        bindings = {ns: secret_data(ns, f"{svc.name}-binding") for ns in (svc.ns, CLIENT_NS)}
        b64 = lambda d: {key: base64.b64encode(v.encode()).decode() for key, v in d.items()}  # noqa: E731
        k("patch", "secret", secret, "-n", svc.ns, "--type=json", "-p", json.dumps([{"op": "remove", "path": f"/data/{victim}"}]))
        generator = ("get", "jobs", "-n", svc.ns, "-l", "app.kubernetes.io/name=ossc-credentials", "-o", "name")
        try:
            jobs = k(*generator).stdout.split()
            if jobs:
                k("delete", "-n", svc.ns, *jobs, "--wait=true", timeout=60)
            svc.apply()  # makes the bundle's generator Job again, the only one now
            job = k(*generator).stdout.split()[0]
            p = k("wait", "-n", svc.ns, "--for=condition=complete", job, "--timeout=180s", timeout=200, check=False)
            if p.returncode != 0:
                raise Failure(f"the generator did not complete after {victim!r} was removed: {k('logs', '-n', svc.ns, job, check=False).stdout.strip()[-300:]}")
            after = secret_data(svc.ns, secret)
        finally:
            k("patch", "secret", secret, "-n", svc.ns, "--type=merge", "-p", json.dumps({"data": b64({victim: cred[victim]})}))
            for ns, data in bindings.items():
                k("patch", "secret", f"{svc.name}-binding", "-n", ns, "--type=merge", "-p", json.dumps({"data": b64(data)}))
        if set(after) != set(cred) or not after.get(victim):
            raise Failure(f"after the generator ran again the Secret has {sorted(after)}, wanted {sorted(cred)}")
        changed = [key for key in cred if key != victim and after[key] != cred[key]]
        if changed:
            raise Failure(f"the generator changed the key(s) {changed} while adding {victim!r}")
        if secret_data(svc.ns, secret) != cred or any(secret_data(ns, f"{svc.name}-binding") != d for ns, d in bindings.items()):
            raise Failure("the credentials and binding Secrets could not be put back as they were")
        return f"a Secret without {victim!r} got it back from the generator, the other keys unchanged"

    attempt("credentials and binding", credentials)

    def dependency():
        """A service that depends on this one (its `runtime.dependencies`), installed as
        docs/spec.md says: its bundle applied first (its pods wait for this service's binding),
        this service told to admit it (`access.clients`, which writes the binding there), then a
        client that has only the dependent's own binding reads and writes this service's data
        through it; a wrong password is refused. Afterwards both are as before."""
        path = svc.d["dependent"]
        dspec = yaml.safe_load((ROOT / path).read_text())
        dname, dep = dspec["metadata"]["name"], dspec["runtime"]["dependencies"][0]["name"]
        overlay = OUT / f"{dname}-overlay.yaml"
        # extends the snapshot beside the overlays: in CI target/ is a link into a cache, so a
        # path up out of OUT does not lead back to the repository
        overlay.write_text(yaml.safe_dump({
            "apiVersion": "openservice.dev/v1alpha1", "kind": "Service", "extends": f"specs/{Path(path).name}",
            "capacity": {"cpu": "50m", "memory": "64Mi"},
            "access": {"clients": [{"namespace": CLIENT_NS, "podLabels": CLIENT_LABEL}],
                       "dependencies": {dep: {"service": svc.name, "namespace": svc.ns}}}}, sort_keys=False))
        bundle = run([OSSC, "build", str(overlay)], timeout=60).stdout
        (OUT / f"{dname}-bundle.yaml").write_text(bundle)
        clients = [{"namespace": CLIENT_NS, "podLabels": CLIENT_LABEL},
                   {"namespace": dname, "podLabels": {"app.kubernetes.io/instance": dname}}]
        t = time.time()
        try:
            k("apply", "--server-side", "--force-conflicts", "-f", "-", input=bundle, timeout=120)
            # before this service admits it: the pods wait for the binding Secret
            waiting, states = "", []
            for _ in range(30):
                states = [cs.get("state", {}).get("waiting", {}).get("reason", "")
                          for p in pods(dname, f"app.kubernetes.io/instance={dname},app.kubernetes.io/name={dname}")
                          for cs in p.get("status", {}).get("containerStatuses", [])]
                if states and all(r == "CreateContainerConfigError" for r in states):
                    waiting = f"its {len(states)} pods waited for the binding ({states[0]})"
                    break
                time.sleep(2)
            if not waiting:
                raise Failure(f"before {svc.name} admitted it, {dname}'s pods were not waiting for the binding: {states}")
            svc.apply(f"access.clients={json.dumps(clients)}")
            k("rollout", "status", f"deployment/{dname}", "-n", dname, "--timeout=240s", timeout=260)
            started = time.time() - t
            b = secret_data(CLIENT_NS, f"{dname}-binding")
            uri = shlex.quote(b["uri"])
            q = lambda sql: sh(f"env PGCONNECT_TIMEOUT=5 psql {uri} -v ON_ERROR_STOP=1 -tAc {shlex.quote(sql)}", timeout=30)
            q("CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text); "
              "INSERT INTO kv VALUES ('kpool', 'vpool') ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v")
            direct = svc.op("read", "kpool")
            if "vpool" not in direct:
                raise Failure(f"a row written through {dname} is not in {svc.name}: {direct.strip()!r}")
            via = q("SELECT v FROM kv WHERE k = 'k1'").stdout.strip()
            bad = b["uri"].replace(f":{b['password']}@", ":wrong@")
            p = sh(f"env PGCONNECT_TIMEOUT=5 psql {shlex.quote(bad)} -tAc 'select 1'", check=False, timeout=30)
            if p.returncode == 0:
                raise Failure(f"{dname} served a client with a wrong password")
        finally:
            # as before: this service admits only the test clients again (its generator then
            # writes no binding into the namespace about to go), and the dependent goes
            svc.apply()
            k("label", "namespace", dname, "openservice.dev/delete-data=true", "--overwrite", check=False)
            k("delete", "-f", "-", "--wait=false", input=bundle, check=False, timeout=120)
        return (f"{path} applied first, {waiting}; {svc.name} listed its namespace in access.clients, and its 2 pods were "
                f"Ready {started:.0f}s after its apply; a client with only {dname}'s binding wrote through it (read back "
                f"from {svc.name} directly) and read k1 ({via!r}); a wrong password refused")

    if svc.d.get("dependent"):
        attempt("dependency", dependency)

    checked_once = []

    def backup_restore(other, keep_check, store=(), tag=""):
        """Another service (one of the entry's `backup_drill`) backed up to this object store and
        restored from it into a new instance, as docs/backup.md says: an instance installed with
        `backup` naming this store, the store told to admit its namespace, rows written in two
        databases (the target's `drill`), a backup taken (a Job from its CronJob, as `kubectl
        create job --from` does), then (`keep_check`: the first drill of a run; the pruning is
        the uploader's, the same for every service) a second one that must replace it
        (`keep: 1`), the instance deleted with its namespace and its data; then a new instance whose
        `backup.restore` names the old one gets every row back (a service that keeps an archive,
        the drill's `pitr`: to a moment between writes made after the backups). The first drill
        of a run whose restore is a Job also checks that it runs once (`restored_once`).
        Afterwards the store admits only the test clients again. `store`: the settings this store is applied with meanwhile
        (the tls check's: TLS on); `tag` in the instances' names keeps them (and their backups'
        prefix in the bucket) apart from the same service's other drill."""
        drill = catalog.SERVICES[other]["drill"]
        src, dst = f"{other}{tag}-backed-up", f"{other}{tag}-restored"
        bucket, admitted = DRILL_BUCKET, [{"namespace": CLIENT_NS, "podLabels": CLIENT_LABEL}]

        def job_done(ns, name, timeout):
            """Waits for the Job to complete; a failed Job (its retries spent) fails at once, with
            what every container of each of its pods said (`kubectl logs job/` shows one pod,
            and nothing when its first container never started)."""
            deadline, state = time.time() + timeout, "running"
            while time.time() < deadline:
                conditions = json.loads(k("get", "job", name, "-n", ns, "-o", "json").stdout)["status"].get("conditions", [])
                done = {c["type"] for c in conditions if c.get("status") == "True"}
                if "Complete" in done:
                    return
                if "Failed" in done:
                    state = "failed"
                    break
                time.sleep(3)
            said = []
            for p in pods(ns, f"batch.kubernetes.io/job-name={name}"):
                spec = p["spec"]
                for ct in spec.get("initContainers", []) + spec["containers"]:
                    out = k("logs", "-n", ns, p["metadata"]["name"], "-c", ct["name"], "--tail=8", check=False)
                    said.append(f"{p['metadata']['name']}/{ct['name']}: {(out.stdout + out.stderr).strip()[-300:]}")
            raise Failure(f"job {name} {'failed' if state == 'failed' else f'did not complete within {timeout}s'}: " + " | ".join(said)[-1500:])

        def stored():
            """The store's objects under the instance's prefix, by backup stamp."""
            out = sh(catalog.s3(svc, f"for o in s3.list_objects_v2(Bucket='{bucket}', Prefix='{src}/{src}/')"
                                     ".get('Contents', []):\n    print(o['Key'])")).stdout.splitlines()
            by_stamp = {}
            for key in out:
                stamp, name = key.split("/")[2:4]
                # the software's own archive (docs/backup.md) is not a backup
                if stamp != "archive":
                    by_stamp.setdefault(stamp, set()).add(name)
            return by_stamp

        def backup(job):
            t_backup = time.time()
            k("create", "job", f"--from=cronjob/{src}-backup", job, "-n", src)
            job_done(src, job, 300)
            return time.time() - t_backup

        def installed(name):
            k("apply", "--server-side", "-f", "-", input=bundles[name], timeout=120)
            svc.apply(*store, f"access.clients={json.dumps(admitted + [{'namespace': name}])}")
            k("rollout", "status", f"statefulset/{name}", "-n", name, "--timeout=300s", timeout=320)
            # the service's bootstrap steps done (etcd's enables auth: its client works
            # before, its backup's login does not)
            if "app.kubernetes.io/name: ossc-bootstrap" in bundles[name]:
                wait_bootstrap_jobs(name)
            retried(lambda: drill["digest"](name, probe=True), 120)

        bundles = {src: drill_bundle(svc, other, src), dst: drill_bundle(svc, other, dst, restore_from=src)}
        try:
            t = time.time()
            installed(src)
            drill["fill"](src)
            before = drill["digest"](src)
            took = backup(f"{src}-drill-1")
            first = stored()
            want = drill["files"] | {"ossc-backup-complete"}
            if len(first) != 1 or next(iter(first.values())) != want:
                raise Failure(f"the store holds {first} under {src}/{src}/, not one complete backup ({sorted(want)})")
            if keep_check:
                time.sleep(1)
                backup(f"{src}-drill-2")
                second = stored()
                if len(second) != 1 or set(second) == set(first) or next(iter(second.values())) != want:
                    raise Failure(f"after a second backup with keep: 1 the store holds {sorted(second)} (the first was {sorted(first)})")
            # a service that keeps an archive: writes after the backups, restored from it to a
            # moment between them (the drill over TLS: to the end of the archive)
            pitr = ""
            if drill.get("pitr"):
                at, before, pitr = drill["pitr"](src, moment=not tag)
                bundles[dst] = drill_bundle(svc, other, dst, restore_from=src, at=at)
                pitr = f"; {pitr}; {dst} restored to {at or 'the end of the archive'}"
            # the instance goes, its data with it (docs/backup.md: the uninstall that deletes data)
            delete_data(src)
            if k("get", "namespace", src, check=False).returncode == 0:
                raise Failure(f"namespace {src} still there 180 s after its deletion")
            t_restore = time.time()
            installed(dst)
            jobs = json.loads(k("get", "jobs", "-n", dst, "-o", "json").stdout)["items"]
            restore = next((j["metadata"]["name"] for j in jobs if j["metadata"]["name"].startswith(f"{dst}-restore-")), None)
            if restore:
                job_done(dst, restore, 300)
                how = "by its restore Job"
            else:
                # a seeding procedure: the member's init containers fetched the backup into its
                # empty data volume and wrote it into the data directory before the software started
                fetched = k("logs", "-n", dst, f"{dst}-0", "-c", "restore-fetch", check=False).stdout
                if f"restoring s3://{bucket}/{src}/{src}/" not in fetched:
                    raise Failure(f"the bundle of {dst} has no restore Job, and its member's restore-fetch did not fetch a backup of {src}: {fetched[-600:]!r}")
                how = "by seeding its member before the software started"
            restored = time.time() - t_restore
            after = drill["digest"](dst)
            if after != before:
                raise Failure(f"restored rows differ: before {before}, after {after}")
            if drill.get("restored"):
                pitr += f"; {drill['restored'](dst)}"
            once = ""
            # the first drill of a run that restores by a Job (PostgreSQL's, the first, seeds)
            if restore and not checked_once and not tag:
                checked_once.append(other)
                once = "; " + restored_once(other, src, dst, restore, job_done)
        finally:
            svc.apply(*store)
            # the next drill starts while these namespaces go (a restored instance's pods
            # take a minute to stop); the lane waits for all of them after its last drill
            for name in bundles:
                delete_data(name, wait=False)
        return (f"{other} as {src}: {drill['note']}; a backup by a Job from its CronJob in {took:.0f}s ({', '.join(sorted(want))}), "
                f"{'and with keep: 1 a second one replaced it; ' if keep_check else ''}{src} deleted with its namespace and data; {dst} with backup.restore "
                f"naming it was Ready and restored {how} in {restored:.0f}s from its apply: the data equal to before "
                f"({'; '.join(before)}){pitr}{once} [{time.time() - t:.0f}s]")

    def restored_once(other, src, dst, first, job_done):
        """docs/backup.md: a restore runs once into an instance's data. The restored instance's
        bundle built again with the same request but a pod that differs (another scratch size:
        as another ossc or software version would make it) is a new Job; applied, it finds the
        record the first one wrote (a ConfigMap owned by every claim of the instance) and
        restores nothing."""
        record = json.loads(k("get", "configmap", f"{dst}-restored", "-n", dst, "-o", "json").stdout)
        owners = sorted((o["kind"], o["name"]) for o in record["metadata"].get("ownerReferences", []))
        claims = sorted(("PersistentVolumeClaim", c["metadata"]["name"])
                        for c in json.loads(k("get", "pvc", "-n", dst, "-o", "json").stdout)["items"])
        if not claims or owners != claims or len(record.get("data", {})) != 1:
            raise Failure(f"the restore's record {dst}-restored: owners {owners} (the claims: {claims}), data {record.get('data')}")
        again = drill_bundle(svc, other, dst, restore_from=src, extra=["backup.scratch=3Gi"])
        k("apply", "--server-side", "-f", "-", input=again, timeout=120)
        jobs = [j["metadata"]["name"] for j in json.loads(k("get", "jobs", "-n", dst, "-o", "json").stdout)["items"]]
        second = next((j for j in jobs if j.startswith(f"{dst}-restore-") and j != first), None)
        if not second:
            raise Failure(f"the bundle built again with another scratch size made no new restore Job: {jobs}")
        job_done(dst, second, 300)
        said = k("logs", "-n", dst, f"job/{second}", "-c", "restore").stdout
        checked = k("logs", "-n", dst, f"job/{second}", "-c", "record-check").stdout
        if "nothing to do" not in said or "was done into this instance's data already" not in checked:
            raise Failure(f"the second restore Job {second} ran the restore again: record-check said {checked.strip()[-300:]!r}, "
                          f"restore said {said.strip()[-300:]!r}")
        return (f"built again with another scratch size (a new restore Job, {second}), it found the record "
                f"({next(iter(record['data'].values()))}, owned by every claim: {', '.join(n for _, n in owners)}) and restored nothing")

    # one check a drill, so that one failing hides none of the others
    run_now, left_out = drills_to_run(svc.d)
    for i, other in enumerate(run_now):
        attempt(f"backup and restore ({other})", lambda other=other, first=i == 0: backup_restore(other, first))
    for other, why in left_out.items():
        if not only_some(f"backup and restore ({other})"):
            record(f"backup and restore ({other})", "SKIPPED", f"not in the default run: {why}; OSSC_NODE_DRILLS={other} runs it")
    left = gone([f"{other}-{kind}" for other in run_now for kind in ("backed-up", "restored")])
    if left:
        record("backup drills' cleanup", "FAIL", f"namespaces {', '.join(left)} still there 180 s after their deletion")

    def scrape(svc):
        """Every ready replica's metrics endpoint, read from the monitoring namespace until it has
        the entry's series (90 s at most); the addresses read."""
        m = svc.spec["runtime"]["metrics"]
        port, path = m["port"], m.get("path", "/metrics")
        want = svc.d.get("metrics_series", r"^# TYPE ")
        ips = [p["status"]["podIP"] for p in pods(svc.ns, svc.selector) if ready(p)]
        t, last = time.time(), ""
        for ip in ips:
            # exporters that scrape on a timer (Cassandra's) need a little while after start
            while True:
                out = sh(f"curl -sS --max-time 10 http://{ip}:{port}{path}", pod="scraper", ns=MONITORING_NS, check=False).stdout
                if re.search(want, out, re.M):
                    break
                last = out.strip()[-300:]
                if time.time() - t > 90:
                    raise Failure(f"{ip}:{port}{path} has no line matching {want!r} after 90 s: {last!r}")
                time.sleep(5)
        return ips

    def exporter_over_tls():
        """With TLS on, an exporter that reads the software over TLS (metrics.exporter.tls) still
        does: every replica's metrics have the entry's series again."""
        if not ((svc.spec["runtime"].get("metrics") or {}).get("exporter") or {}).get("tls"):
            return ""
        return f"; the exporter over TLS: {len(scrape(svc))} replicas' metrics have {svc.d.get('metrics_series')!r}"

    def alert_series(ips, port, path):
        """The series the entry's own alerts read (`runtime.metrics.alerts`, those in every
        bundle: not `when: backup`), each in some replica's metrics: an alert on a series the
        exporter does not have would never fire."""
        alerts = [a for a in svc.spec["runtime"]["metrics"].get("alerts", []) if a.get("when") != "backup"]
        names = sorted({n for a in alerts for n in re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\{\$\{selector\}\}", a["expr"])})
        if not names:
            return ""
        text = "\n".join(sh(f"curl -sS --max-time 10 http://{ip}:{port}{path}", pod="scraper", ns=MONITORING_NS, check=False).stdout
                         for ip in ips)
        missing = [n for n in names if not re.search(rf"^{re.escape(n)}[{{ ]", text, re.M)]
        if missing:
            raise Failure(f"the entry's alerts ({', '.join(a['name'] for a in alerts)}) read {', '.join(missing)}, "
                          f"which no replica's metrics have")
        return f"; every series its alerts read is there ({', '.join(names)})"

    def metrics():
        """Every replica's metrics endpoint answers Prometheus text to a scraper in the monitoring
        namespace, with the series that says the target is up; a client pod is refused."""
        m = svc.spec["runtime"].get("metrics")
        if not m:
            raise Skip("the entry has no metrics endpoint (issue 19)")
        port, path = m["port"], m.get("path", "/metrics")
        want = svc.d.get("metrics_series", r"^# TYPE ")
        ips = scrape(svc)
        # metrics on a port of their own: even a listed client is refused; on the software's own
        # port (MinIO's S3 port), which listed clients reach by design: a pod not listed
        shared = any(e["port"] == port for e in svc.spec["function"].get("endpoints", [])) and not m.get("exporter")
        pod = "unlisted" if shared else "client"
        p = sh(f"curl -sS --max-time 5 http://{ips[0]}:{port}{path}", pod=pod, check=False, timeout=15)
        if p.returncode == 0:
            raise Failure(f"{CLIENT_NS}/{pod}, outside the monitoring namespace, read {ips[0]}:{port}{path}")
        who = f"{CLIENT_NS}/unlisted refused (the port is the service's own, which listed clients reach)" if shared else "a client pod refused"
        note = svc.d.get("metrics_note", "") + alert_series(ips, port, path)
        return (f"{len(ips)} replicas answer on :{port}{path} to a scraper in namespace {MONITORING_NS} "
                f"(series {want!r}); {who}{note}")

    attempt("metrics", metrics)

    def volumes():
        """Each of the spec's `runtime.volumes` is a claim of its own per replica, Bound, and the
        software writes there: the directory is not empty in any replica."""
        vols = svc.spec["runtime"]["volumes"]
        notes = []
        for v in vols:
            claims = [f"{v['name']}-{svc.name}-{i}" for i in range(svc.replicas)]
            phases = k("get", "pvc", "-n", svc.ns, *claims, "-o",
                       "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}").stdout.split()
            if sorted(phases) != sorted(f"{c}=Bound" for c in claims):
                raise Failure(f"claims of volume {v['name']}: {phases}, wanted {claims} Bound")
            seen = ""
            for p in pods(svc.ns, svc.selector):
                pod = p["metadata"]["name"]
                files = [f for f in k("exec", "-n", svc.ns, pod, "-c", svc.container, "--", "ls", "-A", v["path"]).stdout.split()
                         if f != "lost+found"]
                if not files:
                    raise Failure(f"{pod}: {v['path']} is empty: the software does not write to volume {v['name']}")
                seen = seen or ", ".join(sorted(files)[:3])
            notes.append(f"{v['name']}: {len(claims)} claims Bound, every replica wrote into {v['path']} (replica 0: {seen})")
        return "; ".join(notes)

    if svc.spec["runtime"].get("volumes"):
        # only where the spec declares volumes besides its data volume (as failover only where
        # there is a primary to lose)
        attempt("volumes", volumes)

    def tls():
        """access.tls.enabled: the generator makes the CA and the certificate in the cluster; the
        pods roll onto it; a client that has only the binding (uri, ca.crt) reads what was
        written before and writes; the same user and password over a plain connection is
        refused; the replicas' own links are TLS where the spec says so; re-applying keeps the
        certificate; turning TLS off again rolls back to plain connections. An object store
        (the entry's `tls_drill`: MinIO's) also takes a backup drill while TLS is on, its
        uploader and restore reaching it at https:// (plain http is refused, as checked)."""
        t = time.time()
        stopped = stop_for_tls_switch(svc)
        # the entry's `tls_route` (MinIO's): a Gateway route to an endpoint that serves HTTPS
        # with TLS on, applied with it (its BackendTLSPolicy and the CA's ConfigMap checked below)
        route = svc.d.get("tls_route", ())
        svc.apply("access.tls.enabled=true", *route)
        generator = ("-n", svc.ns, "-l", "app.kubernetes.io/name=ossc-credentials")
        p = k("wait", "--for=condition=complete", "job", *generator, "--timeout=180s", timeout=200, check=False)
        if p.returncode != 0:
            logs = k("logs", "-n", svc.ns, "--all-containers", "--prefix", "-l", "app.kubernetes.io/name=ossc-credentials",
                     "--tail=20", check=False).stdout
            raise Failure(f"the generator did not complete with TLS on: {logs.strip()[-600:]}")
        secret = f"{svc.name}-tls"
        cert = secret_data(svc.ns, secret)
        if sorted(cert) != ["ca.crt", "tls.crt", "tls.key"]:
            raise Failure(f"Secret {secret} has {sorted(cert)}, wanted ca.crt, tls.crt, tls.key")
        routed = ""
        if route:
            # docs/spec.md, access.route: the generator wrote the CA's certificate into the
            # ConfigMap the BackendTLSPolicy names, and the API server took the policy
            cm = f"{svc.name}-tls-ca-crt"
            got = json.loads(k("get", "configmap", cm, "-n", svc.ns, "-o", "json").stdout).get("data", {})
            if got.get("ca.crt") != cert["ca.crt"]:
                raise Failure(f"ConfigMap {cm} has {sorted(got)}, its ca.crt {'differs from' if 'ca.crt' in got else 'missing beside'} the certificate Secret's")
            policy = json.loads(k("get", "backendtlspolicy", svc.name, "-n", svc.ns, "-o", "json").stdout)["spec"]["validation"]
            if policy["caCertificateRefs"][0]["name"] != cm:
                raise Failure(f"the BackendTLSPolicy verifies by {policy['caCertificateRefs']}, not ConfigMap {cm}")
            routed = (f"; with access.route to the HTTPS port, the generator wrote the CA's certificate into ConfigMap {cm} "
                      f"(equal to the certificate Secret's ca.crt), which the BackendTLSPolicy (hostname {policy['hostname']}) names")
        rollout(svc, lambda p: any((v.get("secret") or {}).get("secretName") == secret for v in p["spec"].get("volumes", [])))
        rolled = time.time() - t
        # the bootstrap steps are Jobs named by their content: with the CA added they run again,
        # as clients of the TLS service (Cassandra's superuser over CQL, etcd's auth over https)
        steps = wait_bootstrap(svc)
        steps = f"; bootstrap ({steps}) complete again over TLS {time.time() - t:.0f}s after apply" if steps else ""
        svc._binding = None  # the clients' cached binding (tests/node/services.py): it changed
        b = svc.binding()
        scheme = svc.spec["runtime"]["tls"].get("scheme")
        if b.get("ca.crt") != cert["ca.crt"] or (scheme and not b["uri"].startswith(f"{scheme}://")):
            raise Failure(f"the binding has no ca.crt or a uri {b['uri'].split('@')[-1]!r} without the scheme {scheme!r}")
        # the first request after the roll: retried, as the software may still be electing
        # leaders (JetStream's streams after every server restarted)
        tls_scheme = b["uri"].split("://")[0]
        got = retried(lambda: svc.op("read", "k1"), 90)
        if "v1" not in got:
            raise Failure(f"over TLS, k1 read back {got!r}, wanted v1")
        svc.op("write", "ktls", "vtls")
        if "vtls" not in svc.op("read", "ktls"):
            raise Failure("over TLS, a new write did not read back")
        p = sh(svc.d["plaintext"](svc), pod=svc.d.get("load_pod", "client"), check=False, timeout=45)
        if p.returncode == 0:
            raise Failure(f"a plain connection with the binding's credentials was served: {p.stdout.strip()[-200:]}")
        peers = svc.op("peer_tls") if "peer_tls" in svc.d else "links between replicas: not checked for this service"
        peers += exporter_over_tls()
        # the first command ossc connect prints with TLS on, run as it says (ca.crt saved)
        try:
            # tried again for up to 30 s, as the reads above: right after the roll a server may
            # still be rejoining (ZooKeeper's CLI once lost its connection in that moment)
            tried = f"the connect text's try line answered ({retried(lambda: svc.run_try('access.tls.enabled=true'), 30)})"
        except Skip as e:
            tried = f"try line SKIPPED: {e}"
        if svc.d.get("tls_drill"):
            # an object store with TLS on: a backup's uploader and a restore reach it at
            # https://, verifying it against the CA of its binding
            other = svc.d["tls_drill"]
            tried += f"; as a backup store over TLS: {backup_restore(other, False, ('access.tls.enabled=true',), '-tls')}"
            left = gone([f"{other}-tls-backed-up", f"{other}-tls-restored"])
            if left:
                raise Failure(f"namespaces {', '.join(left)} still there 180 s after their deletion")
        svc.apply("access.tls.enabled=true")
        time.sleep(3)
        if secret_data(svc.ns, secret) != cert:
            raise Failure("re-applying the bundle changed the certificate Secret")
        t2 = time.time()
        # turning TLS off, as docs/security.md says: the completed generator Jobs deleted first,
        # so that the bundle's generator (which ran before, with the same name) runs again and
        # writes the plain binding
        completed = tls_off(svc)
        b = svc.binding()
        if not completed or "ca.crt" in b or (scheme and b["uri"].startswith(f"{scheme}://")):
            raise Failure(f"with TLS off again the binding still has TLS: {sorted(b)}, {b['uri'].split('://')[0]}://")
        got = retried(lambda: svc.op("read", "ktls"), 90)
        if "vtls" not in got:
            raise Failure(f"with TLS off again, ktls read back {got!r}")
        how = "stopped first (runtime.tls.stopToSwitch), pods started on them" if stopped else "pods rolled onto them"
        return (f"CA and certificate made in the cluster, {how} in {rolled:.0f}s{steps}; a client with only the binding "
                f"({tls_scheme}://, ca.crt) read and wrote; a plain connection refused{routed}; {peers}; {tried}; re-applying kept "
                f"the certificate; TLS off again in {time.time() - t2:.0f}s, the data intact")

    if svc.spec["runtime"].get("tls"):
        attempt("tls", tls)

    def tls_cert_manager():
        """access.tls.issuer: the certificate from a running cert-manager (a CA Issuer in the
        namespace) instead of the generator's own CA (whose certificate from the tls check is
        deleted first, as documented); the pods roll onto it and a client with
        only the binding works; the replicas' links (mutual TLS where the spec has it) come up
        with cert-manager's certificate; cert-manager renews it (a new key), and the bundle's
        tls-reload CronJob puts the new certificate in service, evicting one pod at a time,
        while a client keeps being served;
        turning it off again as documented."""
        reason = os.environ.get("OSSC_CERT_MANAGER_SKIP")
        if reason:
            raise Skip(reason)
        ns, secret, t = svc.ns, f"{svc.name}-tls", time.time()
        # the CA chain a cluster's administrator sets up once: a self-signed issuer signs a CA
        # certificate, and a CA Issuer signs with it
        issuers = [
            {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "ossc-selfsigned", "namespace": ns},
             "spec": {"selfSigned": {}}},
            {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "ossc-test-ca", "namespace": ns},
             "spec": {"isCA": True, "commonName": "ossc test CA", "secretName": "ossc-test-ca",
                      "privateKey": {"algorithm": "ECDSA", "size": 256},
                      "issuerRef": {"name": "ossc-selfsigned", "kind": "Issuer", "group": "cert-manager.io"}}},
            {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "team-ca", "namespace": ns},
             "spec": {"ca": {"secretName": "ossc-test-ca"}}},
        ]
        k("apply", "--server-side", "-f", "-", input=yaml.safe_dump_all(issuers))
        p = k("wait", "--for=condition=Ready", "-n", ns, "issuer/team-ca", "--timeout=120s", timeout=140, check=False)
        if p.returncode != 0:
            raise Failure("cert-manager did not make the test CA Issuer Ready: "
                          + k("get", "-n", ns, "issuers,certificates", "-o", "wide", check=False).stdout[-400:])
        ca = secret_data(ns, "ossc-test-ca")["ca.crt"]
        sets = ("access.tls.enabled=true", "access.tls.issuer.name=team-ca")
        # as docs/security.md (and `ossc diff`) say: the certificate the generator made for the
        # tls check is deleted first, or cert-manager keeps it (valid) until its renewal
        k("delete", "secret", "-n", ns, secret, "--ignore-not-found")
        svc.apply(*sets)
        k("wait", "--for=condition=Ready", "-n", ns, f"certificate/{secret}", "--timeout=120s", timeout=140)
        generator = ("-n", ns, "-l", "app.kubernetes.io/name=ossc-credentials")
        p = k("wait", "--for=condition=complete", "job", *generator, "--timeout=300s", timeout=320, check=False)
        if p.returncode != 0:
            raise Failure("the generator did not complete with the issuer's certificate: " + k(
                "logs", "-n", ns, "--all-containers", "--prefix", "-l", "app.kubernetes.io/name=ossc-credentials", "--tail=10",
                check=False).stdout.strip()[-500:])
        cert = secret_data(ns, secret)
        issuer = k("get", "secret", "-n", ns, secret, "-o", "jsonpath={.metadata.annotations.cert-manager\\.io/issuer-name}").stdout
        if cert.get("ca.crt") != ca or issuer != "team-ca":
            raise Failure(f"Secret {secret} is not cert-manager's from Issuer team-ca (issuer-name {issuer!r}, ca.crt "
                          f"{'the test CA' if cert.get('ca.crt') == ca else 'another CA'})")
        # the pods roll onto the certificate Secret (a pod that starts before cert-manager wrote
        # it waits for it: a Secret volume that does not exist yet is retried by the kubelet)
        rollout(svc, lambda p: any((v.get("secret") or {}).get("secretName") == secret for v in p["spec"].get("volumes", [])))
        rolled = time.time() - t
        svc._binding = None
        if svc.binding().get("ca.crt") != ca:
            raise Failure("the binding's ca.crt is not the issuer's CA")
        got = retried(lambda: svc.op("read", "k1"), 90)
        if "v1" not in got:
            raise Failure(f"with cert-manager's certificate, k1 read back {got!r}, wanted v1")
        svc.op("write", "kcm", "vcm")
        peers = svc.op("peer_tls") if "peer_tls" in svc.d else "links between replicas: not checked for this service"
        peers += exporter_over_tls()
        # renewal, as cert-manager does it before the end (cmctl renew: the Issuing condition)
        t2 = time.time()
        k("patch", "certificate", "-n", ns, secret, "--subresource=status", "--type=merge", "-p", json.dumps(
            {"status": {"conditions": [{"type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
                                        "message": "renewal triggered by the node tier",
                                        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]}}))

        def renewed_secret():
            d = secret_data(ns, secret)
            if d["tls.key"] == cert["tls.key"]:
                raise Failure(f"cert-manager did not renew Secret {secret} in 90 s")
            return d
        renewed = retried(renewed_secret, 90)
        if renewed["ca.crt"] != ca:
            raise Failure("the renewed certificate has another CA")
        # the restart onto it, by the bundle's tls-reload CronJob (a Job made from it now rather
        # than at its hourly minute), while a client keeps reading (as the upgrade check: the
        # service answers throughout). It counts a pod made up to its margin after the
        # certificate's notBefore as made before, and so acts only once that margin is over.
        issued = k("get", "certificate", "-n", ns, secret, "-o", "jsonpath={.status.notBefore}").stdout.strip()
        issued_at = api_time(issued)
        reload = f"{svc.name}-tls-reload"
        margin = int(k("get", "cronjob", "-n", ns, reload, "-o", "jsonpath={..env[?(@.name==\"MARGIN\")].value}").stdout)
        time.sleep(max(0.0, issued_at + margin + 2 - time.time()))
        t3 = time.time()
        load = Load.reads(svc)
        load.start()
        k("create", "job", "-n", ns, f"--from=cronjob/{reload}", f"{reload}-now")
        p = k("wait", "--for=condition=complete", "-n", ns, f"job/{reload}-now", "--timeout=900s", timeout=920, check=False)
        said = k("logs", "-n", ns, f"job/{reload}-now", "--tail=20", check=False).stdout.strip()
        rate = load.finish()
        restarted = time.time() - t3
        if p.returncode != 0:
            raise Failure(f"the tls-reload Job did not complete: {said[-500:]}")
        made = [(q["metadata"]["name"], q["metadata"]["creationTimestamp"]) for q in pods(ns, svc.selector)]
        stale = [n for n, c in made if api_time(c) < issued_at]
        if stale or len(made) < svc.replicas:
            raise Failure(f"after the tls-reload Job, {len(made)} pods, made before the renewal: {stale}; it said: {said[-300:]}")
        wait_pods(ns, svc.selector, svc.replicas, svc.startup + 60)
        if load.judged() and load.err > load.ok // 4:
            raise Failure(f"the service did not answer throughout the restart onto the renewed certificate: {rate}")
        got = retried(lambda: svc.op("read", "kcm"), 90)
        if "vcm" not in got:
            raise Failure(f"after the restart, kcm read back {got!r}")
        # off again: the Certificate deleted (the bundle no longer has it; apply prunes nothing),
        # the generator's completed Jobs deleted, the plain bundle applied
        k("delete", "certificate", "-n", ns, secret, "--wait=true")
        k("delete", "cronjob", "-n", ns, reload)
        if not tls_off(svc):
            raise Failure("the generator did not complete with TLS off again")
        got = retried(lambda: svc.op("read", "kcm"), 90)
        if "vcm" not in got:
            raise Failure(f"with TLS off again, kcm read back {got!r}")
        k("delete", "-n", ns, "issuer/team-ca", "certificate/ossc-test-ca", "issuer/ossc-selfsigned", "secret/ossc-test-ca")
        return (f"Certificate issued by a CA Issuer of a running cert-manager, "
                f"pods on it in {rolled:.0f}s; a client with only the binding read and wrote; {peers}; renewed (new key, "
                f"same CA), and the bundle's tls-reload CronJob evicted the {svc.replicas} pods made before it, one at a "
                f"time, in {restarted:.0f}s ({said.splitlines()[-1] if said else 'no log'}; {rate}); "
                f"off again, the data intact")

    if svc.d.get("cert_manager"):
        attempt("tls-cert-manager", tls_cert_manager)

    def data_back():
        if not svc.d.get("durable", svc.stateful):
            return ""
        # Ready is a port that answers; after a whole-cluster stop the data may need a few more
        # seconds (leader elections, log recovery): read for up to 60 s and say how long it took
        t, got = time.time(), ""
        while time.time() - t < 60:
            try:
                got = svc.op("read", "k1")
                if "v1" in got:
                    waited = time.time() - t
                    return ", data still there" + (f" (readable {waited:.0f}s after Ready)" if waited > 5 else "")
            except Failure as e:
                got = str(e)
            time.sleep(3)
        raise Failure(f"data lost: read {got!r} for 60 s")

    def heal_delete():
        victim = sorted(pods(svc.ns, svc.selector), key=lambda p: p["metadata"]["name"])[0]
        t = time.time()
        k("delete", "pod", "-n", svc.ns, victim["metadata"]["name"], "--wait=false")
        time.sleep(2)
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        return f"{victim['metadata']['name']} deleted, Ready again in {time.time() - t:.0f}s" + data_back()

    attempt("heal: pod deleted", heal_delete)

    def heal_kill():
        victim = sorted(pods(svc.ns, svc.selector), key=lambda p: p["metadata"]["name"])[-1]
        before = restarts(victim, svc.container)
        t = time.time()
        kill_main_process(victim, svc.container)
        name = victim["metadata"]["name"]
        deadline = time.time() + svc.startup + 60
        while True:
            p = json.loads(k("get", "pod", "-n", svc.ns, name, "-o", "json").stdout)
            if restarts(p, svc.container) > before and ready(p):
                break
            if time.time() > deadline:
                raise Failure(f"{name} not Ready again after its main process was killed")
            time.sleep(1)
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        return f"main process of {name} killed, restarted and Ready in {time.time() - t:.0f}s" + data_back()

    attempt("heal: process killed", heal_kill)

    def heal_disk():
        """A replica's disk lost (its claim deleted with its pod, as a failed volume replaced by
        a new empty one): the StatefulSet makes a new claim, the replica starts on the empty
        disk, the others keep serving while a client reads, and the software copies the data
        back onto the new disk (the entry's `disk_healed` says where to look)."""
        victim = sorted(pods(svc.ns, svc.selector), key=lambda p: p["metadata"]["name"])[-1]
        name = victim["metadata"]["name"]
        claim = f"data-{name}"
        old_uid = json.loads(k("get", "pvc", "-n", svc.ns, claim, "-o", "json").stdout)["metadata"]["uid"]
        load = Load.reads(svc)
        load.start()
        time.sleep(2)
        t = time.time()
        # the claim waits for its pod (the protection finalizer); deleting the pod then lets both go
        k("delete", "pvc", "-n", svc.ns, claim, "--wait=false")
        k("delete", "pod", "-n", svc.ns, name, "--wait=false")
        def new_claim():
            p = k("get", "pvc", "-n", svc.ns, claim, "-o", "json", check=False)
            if p.returncode != 0 or json.loads(p.stdout)["metadata"]["uid"] == old_uid:
                raise Failure(f"no new claim {claim} within 180 s of deleting the old one")
        retried(new_claim, 180)
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        ready_in = time.time() - t
        where, want = svc.d["disk_healed"]

        def copied_back():
            out = k("exec", "-n", svc.ns, name, "-c", svc.container, "--", "sh", "-c", f"ls -A {where} 2>/dev/null", check=False).stdout
            if not re.search(want, out, re.M):
                raise Failure(f"{name}'s new disk has no {want!r} in {where} 240 s after it was Ready: {out.strip()[-200:]!r}")
        retried(copied_back, 240)
        healed = time.time() - t
        rate = load.finish()
        if load.judged() and load.err > load.ok // 4:
            raise Failure(f"the service did not keep working while {name}'s disk was lost: {rate}")
        return (f"{claim} and {name} deleted; a new empty claim, {name} Ready in {ready_in:.0f}s, the data copied back onto it "
                f"({where} has {want!r}) {healed:.0f}s after the loss; while it healed: {rate}" + data_back())

    if svc.d.get("disk_healed"):
        attempt("heal: disk lost", heal_disk)

    def disruption():
        ps = sorted(pods(svc.ns, svc.selector), key=lambda p: p["metadata"]["name"])
        has_pdb = bool(json.loads(k("get", "pdb", "-n", svc.ns, "-o", "json").stdout)["items"])
        load = Load.reads(svc)
        load.start()
        time.sleep(2)
        first = evict(svc.ns, ps[0]["metadata"]["name"])
        second, down = None, 0
        if len(ps) > 1:
            # the budget is only tested while a member is really down: a stateless replacement can
            # be Ready before the second call, and then the budget rightly allows another eviction
            down = svc.replicas - sum(1 for p in pods(svc.ns, svc.selector) if ready(p))
            second = evict(svc.ns, ps[1]["metadata"]["name"]) if down > 0 else "not tried"
            if second == "evicted" and has_pdb:
                # accepted: only right if a replacement became Ready in between, so that the
                # budget's floor of healthy pods still holds
                healthy = sum(1 for p in pods(svc.ns, svc.selector) if ready(p))
                floor = pdb_floor(svc)
                if healthy >= floor:
                    second = f"accepted with {healthy} healthy (floor {floor}): a replacement was Ready in between"
        time.sleep(3)
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        time.sleep(2)
        rate = load.finish()
        if first != "evicted":
            raise Failure(f"the first eviction was {first} although every pod was Ready")
        if has_pdb and second == "evicted":
            raise Failure(f"a second eviction while {down} member(s) were down was accepted ({rate})")
        if svc.d.get("available", svc.replicas > 1) and load.judged() and load.err > load.ok // 4:
            raise Failure(f"the service did not keep working while one member was down: {rate}")
        pdb = {"refused": "PDB: a second eviction refused while one member was down",
               "not tried": "PDB: the replacement was Ready before a second eviction could be tried",
               None: "no PodDisruptionBudget (single instance, documented)"}.get(second, f"PDB: second eviction {second}")
        return f"{pdb}; while one member was down: {rate}" + data_back()

    attempt("disruption: eviction", disruption)

    def failover():
        """The primary lost during writes (its pod force-deleted, as a node that dies): a client
        loop keeps writing through the client Service and logs every acknowledged write with its
        time. Measured: the time from the kill to the first write acknowledged after it, and how
        many acknowledged writes are missing afterwards; the old primary must come back as a
        replica."""
        old = svc.op("primary")
        if svc.d.get("failover_setup"):
            # setup, not the measurement: tried again for 30 s (a whole run once failed here on a
            # DNS lookup, EAI_AGAIN, just as another service's NetworkPolicies were being applied)
            retried(lambda: sh(svc.d["failover_setup"](svc)), 30)
        # A lost node: its pods cannot come back until it does (the claims are local), so the
        # node is cordoned while the primary is gone. Without it the StatefulSet recreates the
        # pod on the same live node within a second, and the old primary may win the election
        # again (it has the most WAL): no failover is tested (seen once in CI, postgres).
        node = k("get", "pod", "-n", svc.ns, old, "-o", "jsonpath={.spec.nodeName}").stdout.strip()
        tag = f"/tmp/failover-{time.monotonic_ns()}"
        loop = (f"rm -f {tag}.*; i=0; while [ ! -e {tag}.stop ]; do i=$((i + 1)); "
                f"if {svc.d['failover_write'](svc)}; then echo \"$i $(date +%s.%N)\" >> {tag}.acked; fi; sleep 0.05; done")
        writer = subprocess.Popen([KUBECTL, "exec", "-n", CLIENT_NS, "client", "--", "bash", "-c", loop],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            try:
                time.sleep(5)
                k("cordon", node)
                killed = time.time()
                k("delete", "pod", "-n", svc.ns, old, "--grace-period=0", "--force", "--wait=false")
                resumed = None
                while time.time() - killed < 90 and resumed is None:
                    time.sleep(2)
                    stamps = [float(line.split()[1]) for line in sh(f"cat {tag}.acked").stdout.splitlines() if line.strip()]
                    after = [t for t in stamps if t > killed + 0.5]
                    resumed = min(after) - killed if after else None
                time.sleep(3)
            finally:
                sh(f"touch {tag}.stop", check=False)
                writer.wait(timeout=30)
            if resumed is None:
                raise Failure(f"no write acknowledged within 90 s of {old}'s loss")
            acked = len(sh(f"cat {tag}.acked").stdout.splitlines())
            # The acknowledged writes read back through the client Service; a read that fails
            # (the Service between primaries) is tried again, never counted as writes lost.
            lost, t_read = None, time.time()
            while lost is None:
                p = sh(svc.d["failover_missing"](svc, f"{tag}.acked"), timeout=120, check=False)
                if p.returncode == 0 and p.stdout.strip().isdigit():
                    lost = int(p.stdout.strip())
                elif time.time() - t_read > 60:
                    raise Failure(f"the writes could not be read back for 60 s: {(p.stderr or p.stdout).strip()[-300:]}")
                else:
                    time.sleep(3)
            new = svc.op("primary")
        finally:
            k("uncordon", node, check=False)
        t = time.time()
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        members = svc.op("members")
        role = "a member; every member takes writes" if svc.d.get("multi_primary") else "the primary"
        now = "" if svc.d.get("multi_primary") else f"{new} the primary, "
        detail = (f"{old} ({role}) force-deleted during writes: {now}writes acknowledged again "
                  f"{resumed:.1f}s after the kill; {acked} writes acknowledged, {lost} of them missing afterwards; "
                  f"{old} back, {members} members, {time.time() - t:.0f}s later")
        if svc.d.get("failover_log"):
            # what the software said of its election (Valkey's Sentinels: split votes), so
            # that a slow failover says why
            detail += f"; {svc.d['failover_log'](svc, old)}"
        if new == old and not svc.d.get("multi_primary"):
            raise Failure(f"{old} is the primary again, no failover happened: {detail}")
        if resumed > svc.d.get("failover_bound", 30):
            raise Failure(f"writes resumed later than {svc.d.get('failover_bound', 30)} s: {detail}")
        if members != svc.replicas:
            raise Failure(f"{members} members, wanted {svc.replicas}: {detail}")
        if svc.d.get("failover_lossless") and lost != 0:
            # synchronous replication: an acknowledged write is on the promoted replica
            raise Failure(f"acknowledged writes lost, with synchronous replication: {detail}")
        if lost < 0 or lost > acked // 10:
            # asynchronous replication may lose the last moment's writes, never a tenth of them
            raise Failure(f"acknowledged writes lost: {detail}")
        return detail

    if svc.d.get("primary"):
        attempt("failover: primary lost", failover)

    rolled = {}  # what the upgrade's roll saw, for the restart check

    def upgrade():
        """The upgrade and the documented restart in one roll: the rebuilt image and
        `lifecycle.restartGeneration=1` in one apply, each pod replaced by one with both. A roll
        is what both ask of the workload, and a JVM service's roll is among the dearest steps of
        the tier (three to four minutes of Cassandra's lane on this machine); NATS's
        tls-cert-manager check runs the restart alone, while a client reads."""
        image = svc.spec["runtime"]["image"]
        nxt = svc.rebuilt_image()
        for sock in sorted(NODE_HOME.glob("node-*/containerd.sock")):
            run(["ctr", "-a", str(sock), "-n", "k8s.io", "images", "tag", "--force", image, nxt])
        load = Load.reads(svc)
        load.start()
        t = time.time()
        svc.apply(*svc.upgraded())
        rolled["maxdown"] = rollout(svc, lambda p: any(c["image"] == nxt for c in p["spec"]["containers"]) and p["metadata"].get(
            "annotations", {}).get("openservice.dev/restart-generation") == "1")
        rolled["secs"] = time.time() - t
        rate = load.finish()
        if svc.d.get("available", svc.replicas > 1) and load.judged() and load.err > load.ok // 4:
            raise Failure(f"the service did not answer throughout: {rate}")
        return (f"rolled to the rebuilt image (with restartGeneration 1) in {rolled['secs']:.0f}s, "
                f"at most {rolled['maxdown']} down at a time; {rate}" + data_back())

    attempt("upgrade: image rolled", upgrade, also=("lifecycle: restartGeneration",))

    def restart():
        if "maxdown" not in rolled:
            raise Failure("the upgrade's roll, which carries the restart, did not finish")
        if rolled["maxdown"] > 1:
            raise Failure(f"{rolled['maxdown']} pods were down at once")
        return (f"in the upgrade's roll (one apply): every pod replaced with restart generation 1, at most "
                f"{rolled['maxdown']} down at a time, in {rolled['secs']:.0f}s")

    attempt("lifecycle: restartGeneration", restart)

    # checks of one service's own (its spec's particular claims), with what they need from here
    for name, fn in svc.d.get("extra_checks", []):
        attempt(name, lambda fn=fn: fn(svc, data_back))

    def uninstall():
        """The obvious uninstall, `kubectl delete -f` of the bundle, here of the stopped service
        (see stop_start): every object of the bundle goes, the namespace stays (refused by the
        bundle's admission policy) with the claims and the credentials."""
        if not svc.stateful:
            raise Skip("no data to keep (stateless)")
        claims = len(json.loads(k("get", "pvc", "-n", svc.ns, "-o", "json").stdout)["items"])
        bundle = svc.build(*svc.applied)
        p = k("delete", "-f", "-", "--wait=false", input=bundle, check=False, timeout=120)
        if "keep-data" not in (p.stderr + p.stdout) and "holds the data volumes" not in (p.stderr + p.stdout):
            raise Failure(f"kubectl delete -f did not meet the keep-data policy: {(p.stderr or p.stdout).strip()[-300:]}")
        wait_gone(svc)
        ns = k("get", "namespace", svc.ns, "-o", "json", check=False)
        if ns.returncode != 0 or json.loads(ns.stdout).get("metadata", {}).get("deletionTimestamp"):
            raise Failure("the namespace was deleted")
        left = len(json.loads(k("get", "pvc", "-n", svc.ns, "-o", "json").stdout)["items"])
        if left < claims:
            raise Failure(f"{claims - left} of {claims} claims deleted")
        kept = "the credentials Secret kept, " if svc.spec.get("credentials") and secret_data(svc.ns, f"{svc.name}-credentials") else ""
        return (f"kubectl delete -f of the stopped service: namespace kept (refused by its policy), {left} claims kept, "
                f"{kept}re-applied by the start of 'lifecycle: stopped/running', which reads the data back")

    def stop_start():
        """Stopped (no pods, the claims kept), uninstalled while stopped, and started again by
        re-applying: one cold start serves both the start and the uninstall's re-apply onto the
        kept claims (a cold start is the dearest step of a JVM service on this machine: about
        three minutes of Cassandra's lane). Deleting a running service's objects stops its pods
        as the stop does, with the same grace period; the uninstall check is about what stays."""
        base = svc.upgraded()
        svc.apply(*base, "lifecycle.state=stopped")
        # each pod may use its whole grace period, one pod after another when ordered
        t = time.time()
        wait_gone(svc)
        stopped = time.time() - t
        claims = json.loads(k("get", "pvc", "-n", svc.ns, "-o", "json").stdout)["items"]
        if svc.stateful and len(claims) < svc.replicas:
            raise Failure(f"only {len(claims)} claims kept while stopped")
        uninstalled = attempt("uninstall keeps data", uninstall) and svc.stateful and not only_some("uninstall keeps data")
        t = time.time()
        svc.apply(*base)
        wait_pods(svc.ns, svc.selector, svc.replicas, svc.startup + 60)
        after = " after `kubectl delete -f` (the uninstall check)" if uninstalled else ""
        return (f"stopped in {stopped:.0f}s: 0 pods, {len(claims)} claims kept; running again{after} in {time.time() - t:.0f}s"
                + data_back())

    attempt("lifecycle: stopped/running", stop_start, also=("uninstall keeps data",))

    # last: the scaled pods are the only ones whose claims were made beside the others' pods at
    # their peak; nothing after it has to find room on a pinned node again
    def scale():
        target = svc.d.get("scale_to")
        sc = svc.spec["runtime"].get("scaling", {})
        if sc.get("scaleUp") == "manual" and not svc.d.get("before_scale"):
            # growing a running install needs a step of the software's own that the tier does not
            # take (ossc diff refuses the increase too): said, not passed
            raise Skip(f"the spec says growing a running install needs a step first (scaleUp: manual): {sc.get('reason')}")
        if not target:
            raise Skip(svc.d.get("scale_reason") or "the spec does not allow more replicas")
        base = svc.upgraded()
        waited = LEDGER.grow(svc.name, svc.cpu()[1])
        t = time.time()
        for step in svc.d.get("before_scale", []):
            step(svc, target)
        svc.apply(*base, *svc.d.get("scale_sets", [f"redundancy.replicas={target}"]))
        wait_pods(svc.ns, svc.selector, target, svc.startup + 60)
        svc.replicas = target
        members = svc.op("members")
        if members != target:
            raise Failure(f"{target} pods but {members} members")
        queued = f" (after {waited:.0f}s waiting for room or for another service's scale check)" if waited >= 2 else ""
        return (f"{target} pods Ready and {members} members in {time.time() - t:.0f}s{queued}"
                + svc.d.get("scale_note", "") + data_back())

    attempt("scale: member joins", scale)


def run_on_claim(svc, claim, user, script):
    """Runs `script` (sh) in a pod of the service's image that mounts the claim at /data, as
    `user`, under Pod Security "restricted"; returns its log."""
    name = f"tier-{claim}"[:63]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": svc.ns},
           "spec": {"restartPolicy": "Never", "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": user, "runAsGroup": user, "fsGroup": user,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{"name": "c", "image": svc.spec["runtime"]["image"], "command": ["/bin/sh", "-c", script],
                                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                                    "resources": {"limits": {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"},
                                                  "requests": {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"}},
                                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}
    k("apply", "-f", "-", input=yaml.safe_dump(pod))
    k("wait", "--for=jsonpath={.status.phase}=Succeeded", f"pod/{name}", "-n", svc.ns, "--timeout=120s", timeout=140)
    out = k("logs", "-n", svc.ns, name, check=False).stdout
    k("delete", "pod", name, "-n", svc.ns, "--wait=true", timeout=60)
    return out


def pdb_floor(svc):
    """The fewest healthy pods the service's PodDisruptionBudget allows."""
    # the software's own budget (a component has one of its own, named after it)
    items = json.loads(k("get", "pdb", "-n", svc.ns, "-o", "json").stdout)["items"]
    spec = next((p for p in items if p["metadata"]["name"] == svc.name), items[0])["spec"]
    if "minAvailable" in spec:
        return int(spec["minAvailable"])
    return svc.replicas - int(spec.get("maxUnavailable", 0))


def retried(fn, seconds):
    """fn(), tried again every 3 s while it fails, for up to `seconds`; its last failure raised."""
    t = time.time()
    while True:
        try:
            return fn()
        except Failure:
            if time.time() - t > seconds:
                raise
            time.sleep(3)


def wait_gone(svc):
    """Waits until the service's pods are gone after a stop or a delete: each may use its whole
    grace period, one pod after another when they stop in order."""
    return wait_pods(svc.ns, svc.selector, 0, (svc.grace + 30) * (svc.replicas if svc.ordered else 1) + 30, "pods gone")


def stop_for_tls_switch(svc, *current):
    """A spec whose TLS switch needs a stopped service (`runtime.tls.stopToSwitch`): the current
    bundle (`current`: what it was built with) applied with `lifecycle.state=stopped`, and its
    pods gone, as `ossc diff` asks. Returns whether it stopped the service."""
    if not (svc.spec["runtime"].get("tls") or {}).get("stopToSwitch"):
        return False
    svc.apply(*current, "lifecycle.state=stopped")
    wait_gone(svc)
    return True


def wait_bootstrap(svc):
    """Waits until every bootstrap Job of the service completed; returns the steps' names, or
    "" for a spec without bootstrap steps."""
    steps = svc.spec["runtime"].get("bootstrap", [])
    if steps:
        wait_bootstrap_jobs(svc.ns)
    return ", ".join(s["name"] for s in steps)


def wait_bootstrap_jobs(ns):
    """Waits until every bootstrap Job in namespace `ns` completed (10 minutes at most)."""
    k("wait", "--for=condition=complete", "job", "-n", ns, "-l", "app.kubernetes.io/name=ossc-bootstrap",
      "--timeout=600s", timeout=620)


def tls_off(svc):
    """Turns TLS off as docs/security.md (and `ossc diff`) say: the generator's completed Jobs
    deleted (the plain bundle's ran before, under the same name); for a service without
    credentials, whose plain bundle carries the binding itself, the binding Secrets deleted too
    (an apply removes no key: ca.crt would stay); a spec with `runtime.tls.stopToSwitch` stopped
    first. Then the plain bundle, and the pods rolled (or started) off the certificate. Returns
    whether the generator (if the plain bundle has one) completed."""
    generator = ("-n", svc.ns, "-l", "app.kubernetes.io/name=ossc-credentials")
    stop_for_tls_switch(svc, "access.tls.enabled=true")
    k("delete", "job", *generator, "--wait=true", timeout=60)
    has_generator = "app.kubernetes.io/name: ossc-credentials" in svc.build()
    if not has_generator:
        for ns in (svc.ns, CLIENT_NS):
            k("delete", "secret", "-n", ns, f"{svc.name}-binding", "--ignore-not-found")
    svc.apply()
    secret = f"{svc.name}-tls"
    rollout(svc, lambda p: not any((v.get("secret") or {}).get("secretName") == secret for v in p["spec"].get("volumes", [])))
    completed = not has_generator or k("wait", "--for=condition=complete", "job", *generator, "--timeout=180s",
                                       timeout=200, check=False).returncode == 0
    svc._binding = None
    return completed


def rollout(svc, is_new):
    """Waits until every pod is new and Ready; returns the most pods seen not Ready at once."""
    maxdown, deadline = 0, time.time() + (svc.startup + 60) * max(svc.replicas, 1)
    while True:
        ps = [p for p in pods(svc.ns, svc.selector)]
        live = [p for p in ps if not p["metadata"].get("deletionTimestamp")]
        # pods being replaced: gone or terminating, or new and not Ready yet. An old pod that is
        # briefly not Ready while the others elect a new leader is not one the rollout took down
        down = (svc.replicas - len(live)) + sum(1 for p in live if is_new(p) and not ready(p))
        maxdown = max(maxdown, down)
        if len(live) == svc.replicas and all(ready(p) and is_new(p) for p in live) and len(ps) == len(live):
            return maxdown
        if time.time() > deadline:
            raise Failure("rollout did not finish")
        time.sleep(0.5)


def dump(svc):
    p = k("get", "pods,pvc,events", "-n", svc.ns, "-o", "wide", check=False)
    log("      | " + "\n      | ".join(p.stdout.splitlines()[-30:]))
    for pod in pods(svc.ns, svc.selector):
        for c in pod["spec"]["containers"]:
            lg = k("logs", "-n", svc.ns, pod["metadata"]["name"], "-c", c["name"], "--tail=15", check=False)
            log(f"      | logs {pod['metadata']['name']}/{c['name']}:\n      | " + "\n      | ".join(lg.stdout.splitlines()))


def teardown(svc):
    if svc.d.get("client_image"):
        k("delete", "pod", "-n", CLIENT_NS, f"client-{svc.name}", "--wait=false", check=False)
    if svc.d.get("try_in_own_image") or svc.d.get("try_image"):
        k("delete", "pod", "-n", CLIENT_NS, f"try-{svc.name}", "--ignore-not-found", "--wait=false", check=False)
    # the binding copy the Job wrote for the clients (not in the bundle: docs/security.md, uninstall)
    k("delete", "secret", "-n", CLIENT_NS, f"{svc.name}-binding", "--ignore-not-found", check=False)
    delete_data(svc.ns)


def delete_data(ns, wait=True):
    """Deletes a service's namespace with its data, as documented: the label the keep-data
    policy asks for, then the namespace, then the policy (it outlives a deleted namespace).
    `wait=False`: returns once the deletion is asked for (gone() waits for it later)."""
    k("label", "namespace", ns, "openservice.dev/delete-data=true", "--overwrite", check=False)
    k("delete", "namespace", ns, f"--wait={str(wait).lower()}", "--timeout=180s", check=False, timeout=200)
    k("delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", f"{ns}.keep-data.openservice.dev",
      "--ignore-not-found", check=False)


def gone(namespaces, timeout=180):
    """Waits until none of `namespaces` exists (their deletion asked for before); the ones left."""
    deadline, left = time.time() + timeout, list(namespaces)
    while left and time.time() < deadline:
        left = [ns for ns in left if k("get", "namespace", ns, check=False).returncode == 0]
        if left:
            time.sleep(3)
    return left


LANES = {}  # service: (start, end) in seconds since the checks began


def run_one(name, results):
    d = catalog.SERVICES[name]
    if d.get("skip"):
        results.append({"service": name, "check": "all", "status": "SKIPPED", "detail": d["skip"]})
        log(f"SKIPPED {name}: {d['skip']}")
        return
    svc = Service(name)
    t0 = time.time()
    log(f"--- {name} (images: {', '.join(svc.images())})")
    try:
        check_service(svc, results)
    except Exception as e:  # a defect of the tier itself: reported, the other services go on
        results.append({"service": name, "check": "tier", "status": "FAIL", "detail": f"{type(e).__name__}: {e}"})
        log(f"FAIL    {name}: the tier itself failed: {type(e).__name__}: {e}")
    finally:
        teardown(svc)
    LANES[name] = (t0 - STARTED, time.time() - STARTED)
    log(f"--- {name} done in {time.time() - t0:.0f}s")


# ------------------------------------------------------------------ quick start ---
QUICK_START = "valkey"  # small enough to run with the catalog's own defaults, alone, first
CRDS = ["servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com"]


def quick_start(results):
    """The README's quick start, on this cluster with the monitoring CRDs removed: the catalog
    entry built with no flag, no overlay and no --set, piped to `kubectl apply --server-side`,
    nothing else done by hand. Then a client pod in the service's namespace that has only the
    binding Secret (as its environment) does the service's function; one without it is refused;
    re-applying keeps the credentials; `kubectl delete -f` keeps the namespace and the claims.
    The CRDs are reinstalled afterwards (scripts/cluster crds)."""
    name = f"quick start ({QUICK_START})"

    def record(check, status, detail=""):
        results.append({"service": name, "check": check, "status": status, "detail": detail})
        log(f"{'ok  ' if status == 'PASS' else status:7} {name}: {check}{': ' + detail if detail else ''}")

    ns = QUICK_START
    bundle = run([OSSC, "build", QUICK_START], timeout=60).stdout
    try:
        k("delete", "crd", *CRDS, "--ignore-not-found", "--wait=true", timeout=120)
        left = k("get", "crd", "-o", "name", check=False).stdout
        if "monitoring.coreos.com" in left:
            raise Failure(f"the monitoring CRDs are still there: {left.strip()}")
        t0 = time.time()
        p = k("apply", "--server-side", "-f", "-", input=bundle, check=False, timeout=120)
        if p.returncode != 0:
            raise Failure(f"`ossc build {QUICK_START} | kubectl apply --server-side -f -` failed: {(p.stderr or p.stdout)[-400:]}")
        sel = f"app.kubernetes.io/instance={QUICK_START},app.kubernetes.io/name={QUICK_START}"
        replicas = yaml.safe_load(open(SPECS / f"{QUICK_START}.yaml")).get("redundancy", {}).get("replicas", 1)
        wait_pods(ns, sel, replicas, 600)
        record("bare cluster: apply and Ready", "PASS",
               f"`ossc build {QUICK_START} | kubectl apply --server-side -f -` on a cluster without the monitoring CRDs; "
               f"{replicas} pod(s) Ready in {time.time() - t0:.0f}s")
        deadline = time.time() + 120
        while not secret_data(ns, f"{QUICK_START}-binding") and time.time() < deadline:
            time.sleep(2)
        binding = secret_data(ns, f"{QUICK_START}-binding")
        if not binding.get("uri"):
            raise Failure(f"no binding Secret {QUICK_START}-binding with a uri after 120 s")
        cred = secret_data(ns, f"{QUICK_START}-credentials")
        pod = client_pod_yaml(ns, "quick-client", {"app": "quick-client"})
        pod["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": f"{QUICK_START}-binding"}}]
        k("apply", "-f", "-", input=yaml.safe_dump(pod))
        k("wait", "--for=condition=Ready", "pod/quick-client", "-n", ns, "--timeout=180s", timeout=200)
        out = sh('valkey-cli -u "$uri" set quick v1 && valkey-cli -u "$uri" get quick', pod="quick-client", ns=ns).stdout
        if "v1" not in out:
            raise Failure(f"SET/GET with the binding's uri answered {out!r}")
        refused = sh('valkey-cli -h "$host" -p "$port" get quick', pod="quick-client", ns=ns, check=False)
        if "v1" in refused.stdout or "NOAUTH" not in (refused.stdout + refused.stderr):
            raise Failure(f"a client without the password was not refused: {(refused.stdout + refused.stderr).strip()!r}")
        k("apply", "--server-side", "-f", "-", input=bundle, timeout=120)
        time.sleep(3)
        if secret_data(ns, f"{QUICK_START}-credentials") != cred:
            raise Failure("re-applying the bundle changed the credentials Secret")
        record("bare cluster: client with the binding", "PASS",
               "a pod with only the binding Secret as environment ran SET/GET with valkey-cli -u \"$uri\"; "
               "one without the password got NOAUTH; re-applying kept the credentials Secret")
        k("delete", "pod", "quick-client", "-n", ns, "--wait=true", timeout=60)
        p = k("delete", "-f", "-", "--wait=true", input=bundle, check=False, timeout=300)
        claims = k("get", "pvc", "-n", ns, "-o", "name", check=False).stdout.split()
        if k("get", "namespace", ns, check=False).returncode != 0 or not claims:
            raise Failure(f"`kubectl delete -f` left namespace/claims: {claims} ({(p.stderr or '')[-300:]})")
        if secret_data(ns, f"{QUICK_START}-credentials") != cred:
            raise Failure("the credentials Secret did not survive the uninstall")
        record("bare cluster: uninstall keeps data", "PASS",
               f"`kubectl delete -f` removed the bundle's objects; namespace {ns}, claims {', '.join(claims)} and the "
               "credentials Secret stayed (keep-data policy: " + ((p.stderr or "").strip().splitlines() or ["-"])[-1][:160] + ")")
    except (Failure, subprocess.TimeoutExpired) as e:
        record("bare cluster", "FAIL", str(e))
    finally:
        delete_data(ns)
        run([str(ROOT / "scripts/cluster"), "crds"], timeout=300)


class Ledger:
    """The CPU the running services have reserved, against the budget (cpu_budget), counted per
    node. Each holds its pods' requests as built; a scale check (each service's last) raises its
    service's reservation once no other scale check holds the turn and its new pod finds room on
    a node beside everything running (or its service runs alone); while one waits for room no
    other service starts, so the room comes as the running ones finish.

    A service starts beside the running ones when their requests fit and either the largest
    new pod of any of their scale checks still finds room beside them all (then every scale
    check gets its room whenever its turn comes), or it adds no pods of its own and is expected
    to finish (its lane in the last whole run, services.LANES) before every scale check whose
    room it takes would come. Removing services keeps the first condition true, and those
    started by the second always finish, so no set of waiting scale checks can block each
    other. The first condition alone ran Cassandra by itself for its whole lane (23 minutes,
    the cores 24-53% busy): its fourth pod needs a node's room as it is when Cassandra is
    alone."""

    NODES = 3  # scripts/node-tier starts three nodes; every service spreads its pods over them

    def __init__(self, budget, lanes=None, clock=time.time):
        self.budget, self.lanes, self.clock = budget, lanes or {}, clock
        self.held, self.growth, self.started, self.grower, self.waiting = {}, {}, {}, None, set()
        self.cond = threading.Condition()

    def fits(self, held, new_pod):
        """Whether a new pod of `new_pod` CPU finds room when the running services hold `held`
        CPU. Counted per node, not per cluster: the new pod must find its room on one node,
        beside that node's share of every running service (about a third of each); a
        cluster-wide sum said yes while no node had it: Cassandra's fourth pod (0.9 CPU) stayed
        Pending, "Insufficient cpu" on all three nodes, for the whole scale check while
        RabbitMQ ran beside it (0.3 CPU a node)."""
        return held / self.NODES + new_pod <= self.budget / self.NODES

    def admits(self, name, base, growth):
        """Whether service `name` with these requests (`growth`: the CPU of the one pod its
        scale check adds, 0 for none) may start beside those running (call under cond)."""
        held = sum(self.held.values()) + base
        if self.waiting or not self.fits(held, 0):
            return False
        if self.fits(held, max([growth, *self.growth.values()])):
            return True
        ends = self.clock() + self.lanes.get(name, float("inf"))
        return growth == 0 and all(
            ends <= self.started[g] + self.lanes.get(g, 0)
            for g, room in self.growth.items() if room and not self.fits(held, room))

    def take(self, name, base, growth):
        self.held[name], self.growth[name], self.started[name] = base, growth, self.clock()

    def start_next(self, pending, width, requests):
        """The services of `pending` (in its order) to start now, at most `width` running in
        all, each taken as it is chosen; `requests` gives a name's (base, growth). A later,
        smaller one may fit where an earlier one does not; the first always starts."""
        chosen = []
        with self.cond:
            for n in pending:
                if len(self.held) >= width:
                    break
                base, growth = requests(n)
                if self.held and not self.admits(n, base, growth):
                    continue
                self.take(n, base, growth)
                chosen.append(n)
        return chosen

    def ready(self, name):
        """Whether `name`'s scale check may grow now (call under cond); notes it as waiting for
        room when only the room is missing."""
        room = len(self.held) == 1 or self.fits(sum(self.held.values()), self.growth.get(name, 0))
        (self.waiting.discard if room else self.waiting.add)(name)
        return room and self.grower in (None, name)

    def grow(self, name, cores):
        """Raises a running service's reservation to `cores` (its scale check) when ready;
        returns the seconds it waited."""
        t = time.time()
        with self.cond:
            while not self.ready(name):
                self.cond.wait(5)
            self.grower = name
            self.held[name] = cores
        return time.time() - t

    def free(self, name):
        with self.cond:
            for d in (self.held, self.growth, self.started):
                d.pop(name, None)
            self.waiting.discard(name)
            if self.grower == name:
                self.grower = None
            self.cond.notify_all()


LEDGER = Ledger(float("inf"))


def cpu_budget():
    """The CPU the services may request together: the nodes' allocatable CPU less what the pods
    already there request (the clients of every service) and a margin for the clients, scrapers
    and Jobs the checks start."""
    nodes = json.loads(k("get", "nodes", "-o", "json").stdout)["items"]
    allocatable = sum(cpu(n["status"]["allocatable"]["cpu"]) for n in nodes)
    used = 0.0
    for p in json.loads(k("get", "pods", "-A", "-o", "json").stdout)["items"]:
        if p.get("status", {}).get("phase") in ("Pending", "Running"):
            used += requested_cpu(p["spec"])
    return allocatable - used - 0.5


def snapshot_specs():
    """Copies specs/ (and the packaging guide's examples/) beside the overlays, once, before any
    service is built."""
    import shutil
    shutil.rmtree(SPECS, ignore_errors=True)
    shutil.copytree(ROOT / "specs", SPECS)
    for example in (ROOT / "examples").glob("*.yaml"):
        shutil.copy(example, SPECS / example.name)


def main():
    names = sys.argv[1:] or catalog.ORDER
    unknown = [n for n in names if n not in catalog.SERVICES]
    if unknown:
        sys.exit(f"unknown services {unknown}; known: {', '.join(catalog.SERVICES)}")
    snapshot_specs()
    sampler = CpuSampler()
    ensure_clients()
    quick = []
    if os.environ.get("OSSC_NODE_QUICK_START", "1") != "0":
        quick_start(quick)
    else:
        quick.append({"service": f"quick start ({QUICK_START})", "check": "bare cluster", "status": "SKIPPED",
                      "detail": "OSSC_NODE_QUICK_START=0"})
        log(f"SKIPPED quick start ({QUICK_START}): OSSC_NODE_QUICK_START=0")
    # Services run side by side (each in its own namespace; most of a check is waiting for probe
    # periods and grace periods, not CPU): OSSC_NODE_PARALLEL at once, 3 by default, and only as
    # many as the nodes' allocatable CPU holds. Requests are what the scheduler counts, and a pod
    # whose claim is pinned to a node (local volumes) must find room on that node again after
    # every restart (a Cassandra pod once stayed Pending, "Insufficient cpu", after the pods of
    # other services had taken the room). Ledger says how: requests as built, the scale checks
    # (each service's last) in turns, each once its new pod has room.
    global LEDGER
    width = max(1, int(os.environ.get("OSSC_NODE_PARALLEL", "3")))
    LEDGER = Ledger(cpu_budget(), catalog.LANES)
    requests = {n: ((0.0, 0.0, 0.0) if catalog.SERVICES[n].get("skip") else Service(n).cpu()) for n in names}
    base = {n: built for n, (built, _, _) in requests.items()}
    growth = {n: new_pod for n, (_, _, new_pod) in requests.items()}
    log(f"node tier: {LEDGER.budget:.2f} CPU to share; requests as built: "
        + ", ".join(f"{n} {base[n]:.2f}" for n in names))
    per = {n: [] for n in names}
    pending = list(names)
    running = {}
    while pending or running:
        for n in LEDGER.start_next(pending, width, lambda n: (base[n], growth[n])):
            pending.remove(n)
            running[n] = threading.Thread(target=run_one, args=(n, per[n]), daemon=True)
            running[n].start()
        for n, t in list(running.items()):
            if not t.is_alive():
                del running[n]
                LEDGER.free(n)
        time.sleep(1)
    results = quick + [r for n in names for r in per[n]]
    if not sys.argv[1:]:
        for n, why in catalog.OPT_IN.items():
            results.append({"service": n, "check": "all", "status": "SKIPPED", "detail": f"not in the default run: {why}"})
            log(f"SKIPPED {n}: not in the default run: {why}")
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    passed = sum(r["status"] == "PASS" for r in results)
    failed = sum(r["status"] == "FAIL" for r in results)
    skipped = sum(r["status"] == "SKIPPED" for r in results)
    log("lanes (seconds after the checks began): " + ", ".join(
        f"{n} {a:.0f}-{b:.0f} ({b - a:.0f})" for n, (a, b) in sorted(LANES.items(), key=lambda x: x[1][0])))
    log(sampler.summary())
    # the failures again, last: a CI log kept only by its tail still names them (stop 46's
    # first CI run kept the lanes' last lines, and its three failures had to be found again)
    for r in results:
        if r["status"] == "FAIL":
            log(f"FAILED  {r['service']} {r['check']}: {r['detail'].splitlines()[0][:300] if r['detail'] else ''}")
    log(f"node tier: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    # one module instance: services.py imports this file as `conformance`, so run that one
    # (its Failure is the one the checks catch)
    import conformance

    sys.exit(conformance.main())
