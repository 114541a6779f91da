#!/usr/bin/python3
"""A small NATS client for the node tier (no NATS client is packaged in Debian): the core protocol
(INFO, CONNECT, PUB, SUB, MSG) and JetStream's JSON API over request/reply.

SERVER is a NATS URL, `nats://[user:password@]host[:port]` (the binding's `uri`), or a host.
`tls://...` (the binding's `uri` when the service serves TLS) upgrades the connection after the
server's INFO and verifies the server against the CA file in $NATS_CA (the binding's `ca.crt`).

  natsc.py SERVER stream NAME SUBJECT REPLICAS   create (or keep) a file-backed stream
  natsc.py SERVER pub SUBJECT DATA               publish through JetStream; prints the ack
  natsc.py SERVER last STREAM SUBJECT            the last message stored on SUBJECT
  natsc.py SERVER consume STREAM DURABLE         fetch and ack one message with a pull consumer
"""
import base64, json, os, socket, ssl, sys, uuid
from urllib.parse import unquote, urlsplit


class Conn:
    def __init__(self, server):
        u = urlsplit(server if "://" in server else f"nats://{server}")
        self.s = socket.create_connection((u.hostname, u.port or 4222), timeout=5)
        info = b""
        while not info.endswith(b"\n"):  # byte by byte: nothing after INFO may be read before TLS
            b = self.s.recv(1)
            if not b:
                raise SystemExit("connection closed")
            info += b
        if not info.startswith(b"INFO"):
            raise SystemExit(f"not a NATS server: {info!r}")
        if u.scheme == "tls":
            ctx = ssl.create_default_context(cafile=os.environ["NATS_CA"])
            self.s = ctx.wrap_socket(self.s, server_hostname=u.hostname)
        self.f = self.s.makefile("rb")
        connect = {"verbose": False, "pedantic": False, "headers": False}
        if u.username is not None:
            connect.update(user=unquote(u.username), **{"pass": unquote(u.password or "")})
        self.s.sendall(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        self.expect(b"PONG")
        self.sid = 0

    def expect(self, word):
        while True:
            line = self.f.readline()
            if not line:
                raise SystemExit("connection closed")
            if line.startswith(b"PING"):
                self.s.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise SystemExit(line.decode().strip())
            elif line.startswith(word):
                return line

    def request(self, subject, payload=b""):
        self.sid += 1
        inbox = "_INBOX." + uuid.uuid4().hex
        self.s.sendall(f"SUB {inbox} {self.sid}\r\nPUB {subject} {inbox} {len(payload)}\r\n".encode() + payload + b"\r\n")
        head = self.expect(b"MSG").split()
        n = int(head[-1])
        data = self.f.read(n + 2)[:n]
        reply = head[3].decode() if len(head) == 5 else None
        return data, reply


def main():
    host, cmd, *a = sys.argv[1:]
    c = Conn(host)
    if cmd == "stream":
        cfg = {"name": a[0], "subjects": [a[1]], "num_replicas": int(a[2]), "storage": "file"}
        r, _ = c.request(f"$JS.API.STREAM.CREATE.{a[0]}", json.dumps(cfg).encode())
        resp = json.loads(r)
        if "error" in resp and resp["error"].get("err_code") != 10058:  # 10058: already in use
            raise SystemExit(resp["error"])
        print("stream", a[0], "ok")
    elif cmd == "pub":
        r, _ = c.request(a[0], a[1].encode())
        resp = json.loads(r)
        if "error" in resp:
            raise SystemExit(resp["error"])
        print(json.dumps(resp))
    elif cmd == "last":
        r, _ = c.request(f"$JS.API.STREAM.MSG.GET.{a[0]}", json.dumps({"last_by_subj": a[1]}).encode())
        resp = json.loads(r)
        if "error" in resp:
            raise SystemExit(resp["error"])
        print(base64.b64decode(resp["message"]["data"]).decode())
    elif cmd == "consume":
        cfg = {"stream_name": a[0], "config": {"durable_name": a[1], "ack_policy": "explicit"}}
        r, _ = c.request(f"$JS.API.CONSUMER.CREATE.{a[0]}.{a[1]}", json.dumps(cfg).encode())
        if "error" in json.loads(r) and json.loads(r)["error"].get("err_code") != 10148:
            raise SystemExit(json.loads(r)["error"])
        data, reply = c.request(f"$JS.API.CONSUMER.MSG.NEXT.{a[0]}.{a[1]}", b'{"batch":1,"expires":4000000000}')
        if not reply:
            raise SystemExit(f"no message: {data!r}")
        c.s.sendall(f"PUB {reply} 4\r\n+ACK\r\n".encode())
        c.s.sendall(b"PING\r\n"); c.expect(b"PONG")
        print(data.decode())
    else:
        raise SystemExit(__doc__)


main()
