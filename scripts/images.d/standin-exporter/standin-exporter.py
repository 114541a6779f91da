#!/usr/bin/python3
"""A stand-in for an exporter image no registry here serves (see scripts/images.d/standin-exporter.sh).

Finds its listen port and its target in the arguments the real exporters take:
  memcached-exporter   --memcached.address=HOST:PORT [--web.listen-address=:9150]
  prometheus-nats-exp. -port=7777 ... http://HOST:PORT
  cassandra_exporter   no arguments (its image's own config): listens on 8080, reads JMX at
                       localhost:7199
and serves /metrics with ossc_standin_target_up (1 when a TCP connect to the target succeeds).
With no arguments at all it takes the cassandra_exporter defaults: the catalog's memcached and
NATS exporters are always given their target, so no arguments means the Cassandra sidecar."""
import http.server, re, signal, socket, sys, urllib.parse

# PID 1 in its container: without a handler of its own SIGTERM would be ignored and every stop
# would wait out the pod's whole grace period (found on Cassandra's: 120 s per pod)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

args = sys.argv[1:]
port, target = 9150, ("localhost", 11211)
for a in args:
    if m := re.match(r"--?web\.listen-address=.*:(\d+)$", a): port = int(m.group(1))
    elif m := re.match(r"-port=(\d+)$", a): port = int(m.group(1))
    elif m := re.match(r"--memcached\.address=(.+):(\d+)$", a): target = (m.group(1), int(m.group(2)))
    elif a.startswith("http://"):
        u = urllib.parse.urlparse(a); target = (u.hostname, u.port or 80)
if not args:
    port, target = 8080, ("localhost", 7199)

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
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
