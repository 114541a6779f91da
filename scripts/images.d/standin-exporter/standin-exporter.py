#!/usr/bin/python3
"""A stand-in for an exporter image no registry here serves (see scripts/images.d/standin-exporter.sh).

Finds its listen port and its target in the arguments the real exporters take:
  memcached-exporter   --memcached.address=HOST:PORT [--web.listen-address=:9150]
  prometheus-nats-exp. -port=7777 ... http://HOST:PORT
  cassandra_exporter   no arguments (its image's own config): listens on 8080, reads JMX at
                       localhost:7199
and serves /metrics with ossc_standin_target_up (1 when a TCP connect to the target succeeds).
With no arguments at all it takes the cassandra_exporter defaults: the catalog's memcached and
NATS exporters are always given their target, so no arguments means the Cassandra sidecar.

Called as kafka_exporter (/usr/bin/kafka_exporter, the real image's /bin/kafka_exporter) it
takes kafka_exporter v1.9.0's flags and refuses any other, as the real one's kingpin does;
like the real one it exits 1 when it cannot read the cluster's metadata at start (so the
catalog's retry loop around it runs), and then serves kafka_brokers from a metadata request
made with the same server, SASL mechanism, user, password and TLS CA (librdkafka here, sarama
there): it proves the flags, the credentials and the policy, not the real exporter's series."""
import http.server, os, re, signal, socket, sys, urllib.parse

# PID 1 in its container: without a handler of its own SIGTERM would be ignored and every stop
# would wait out the pod's whole grace period (found on Cassandra's: 120 s per pod)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

args = sys.argv[1:]

KAFKA_FLAGS = {  # kafka_exporter v1.9.0's flags (kafka_exporter.go, main): True = takes a value
    "web.listen-address": True, "web.telemetry-path": True, "topic.filter": True, "topic.exclude": True,
    "group.filter": True, "group.exclude": True, "log.enable-sarama": False, "kafka.server": True,
    "sasl.enabled": False, "sasl.handshake": False, "sasl.username": True, "sasl.password": True,
    "sasl.aws-region": True, "sasl.mechanism": True, "sasl.service-name": True, "sasl.kerberos-config-path": True,
    "sasl.realm": True, "sasl.kerberos-auth-type": True, "sasl.keytab-path": True, "sasl.disable-PA-FX-FAST": False,
    "tls.enabled": False, "tls.server-name": True, "tls.ca-file": True, "tls.cert-file": True, "tls.key-file": True,
    "server.tls.enabled": False, "server.tls.mutual-auth-enabled": False, "server.tls.ca-file": True,
    "server.tls.cert-file": True, "server.tls.key-file": True, "tls.insecure-skip-tls-verify": False,
    "kafka.version": True, "use.consumelag.zookeeper": False, "zookeeper.server": True, "kafka.labels": True,
    "refresh.metadata": True, "offset.show-all": False, "concurrent.enable": False, "topic.workers": True,
    "kafka.allow-auto-topic-creation": False, "verbosity": True,
}


def kafka_exporter():
    flags = {}
    for a in args:
        m = re.match(r"--(no-)?([a-zA-Z.-]+)(?:=(.*))?$", a)
        if not m or m.group(2) not in KAFKA_FLAGS or (KAFKA_FLAGS[m.group(2)] and m.group(3) is None):
            sys.exit(f"kafka_exporter: error: unknown or incomplete flag {a.split('=')[0]!r}")
        flags[m.group(2)] = m.group(3) if m.group(3) is not None else str(m.group(1) is None).lower()
    from confluent_kafka.admin import AdminClient
    conf = {"bootstrap.servers": flags.get("kafka.server", "kafka:9092"), "socket.timeout.ms": 5000}
    mech = {"scram-sha512": "SCRAM-SHA-512", "scram-sha256": "SCRAM-SHA-256", "plain": "PLAIN"}
    sasl, tls = flags.get("sasl.enabled") == "true", flags.get("tls.enabled") == "true"
    if sasl:
        if flags.get("sasl.mechanism", "plain") not in mech:
            sys.exit(f"kafka_exporter: the stand-in knows no SASL mechanism {flags.get('sasl.mechanism')!r}")
        conf.update({"sasl.mechanism": mech[flags.get("sasl.mechanism", "plain")],
                     "sasl.username": flags.get("sasl.username", ""), "sasl.password": flags.get("sasl.password", "")})
    if tls and flags.get("tls.ca-file"):
        conf["ssl.ca.location"] = flags["tls.ca-file"]
    conf["security.protocol"] = {(False, False): "PLAINTEXT", (True, False): "SASL_PLAINTEXT",
                                 (False, True): "SSL", (True, True): "SASL_SSL"}[(sasl, tls)]
    admin = AdminClient(conf)

    def brokers():
        return len(admin.list_topics(timeout=5).brokers)
    try:
        brokers()
    except Exception as e:  # as the real one: no metadata at start, no exporter
        sys.exit(f"kafka_exporter: Error Init Kafka Client: {e}")
    return int(flags.get("web.listen-address", ":9308").rsplit(":", 1)[1]), brokers


kafka = None
port, target = 9150, ("localhost", 11211)
for a in args:
    if m := re.match(r"--?web\.listen-address=.*:(\d+)$", a): port = int(m.group(1))
    elif m := re.match(r"-port=(\d+)$", a): port = int(m.group(1))
    elif m := re.match(r"--memcached\.address=(.+):(\d+)$", a): target = (m.group(1), int(m.group(2)))
    elif a.startswith("http://"):
        u = urllib.parse.urlparse(a); target = (u.hostname, u.port or 80)
if not args:
    port, target = 8080, ("localhost", 7199)
if os.path.basename(sys.argv[0]) == "kafka_exporter":
    port, kafka = kafka_exporter()

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if kafka:
            try:
                body = ("# HELP kafka_brokers Number of Brokers in the Kafka Cluster.\n# TYPE kafka_brokers gauge\n"
                        f"kafka_brokers {kafka()}\n").encode()
            except Exception:
                body = b""
            self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            return
        try:
            socket.create_connection(target, timeout=2).close(); up = 1
        except OSError:
            up = 0
        body = ("# HELP ossc_standin_target_up ossc test stand-in, not the real exporter\n"
                "# TYPE ossc_standin_target_up gauge\n"
                f'ossc_standin_target_up{{target="{target[0]}:{target[1]}"}} {up}\n').encode()
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

http.server.ThreadingHTTPServer(("", port), H).serve_forever()
