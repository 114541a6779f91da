#!/usr/bin/env python3
"""Writes the hostile-input corpus into the directory given (default: a temporary one).

Each file is something a stranger's pull request could contain. scripts/hostile runs
`ossc validate` and `ossc build` on every file and requires exit 1 or 2, a located message
(file:line:col), under 1 s and under 256 MiB, and never a panic or a signal.
"""
import os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
GOOD = open(os.path.join(os.path.dirname(__file__), "../../specs/cassandra.yaml")).read()

def w(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(out, name), mode) as f:
        f.write(data)

# Alias bombs ("billion laughs"), and aliases to unknown anchors.
levels = ["a: &a [" + ",".join(["lol"] * 10) + "]"]
for i in range(1, 10):
    prev = chr(ord("a") + i - 1)
    cur = chr(ord("a") + i)
    levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
w("billion-laughs.yaml", "\n".join(levels) + "\n")
w("unknown-alias.yaml", "apiVersion: *nowhere\n")
# Deep nesting, flow and block.
w("deep-flow.yaml", "[" * 100000)
w("deep-flow-map.yaml", "{a: " * 50000)
w("deep-block.yaml", "".join(" " * i + "k:\n" for i in range(2000)))
# Huge scalars and keys (above the 1 MiB input limit), and many documents.
w("huge-scalar.yaml", "apiVersion: " + "x" * (2 << 20) + "\n")
w("huge-key.yaml", "x" * (2 << 20) + ": 1\n")
w("many-documents.yaml", "a: 1\n---\n" * 20000)
# Binary garbage, invalid UTF-8, UTF-16, BOMs.
w("binary.yaml", bytes(range(256)) * 64)
w("invalid-utf8.yaml", b"apiVersion: openservice.dev/v1alpha1\nkind: \xff\xfe\xfd\n")
w("utf16-le.yaml", "apiVersion: x\n".encode("utf-16"))
w("utf16-be.yaml", b"\xfe\xff" + "apiVersion: x\n".encode("utf-16-be"))
w("bom-then-error.yaml", b"\xef\xbb\xbf" + GOOD.replace("  replicas: 3", "  replcas: 3").encode())
# Line endings and whitespace.
w("crlf-error.yaml", GOOD.replace("\n", "\r\n").replace("replicas: 3", "replicas: three"))
w("tabs.yaml", "apiVersion: x\n\tkind: Service\n")
w("unterminated-quote.yaml", 'apiVersion: "openservice.dev/v1alpha1\n')
w("unterminated-flow.yaml", "metadata: {name: x, version: [1, 2\n")
# Duplicate keys, merge keys, YAML 1.1 booleans.
w("duplicate-keys.yaml", GOOD.replace("  quorum: majority", "  quorum: majority\n  quorum: all"))
w("merge-keys.yaml", "base: &b {replicas: 3}\nredundancy:\n  <<: *b\n")
w("yaml11-booleans.yaml", GOOD.replace("      fromImage: true", "      fromImage: yes"))
# Very large numbers, NaN and infinities where numbers belong.
w("huge-number.yaml", GOOD.replace("  replicas: 3", "  replicas: 99999999999999999999999999999999999999999999"))
w("nan.yaml", GOOD.replace("  replicas: 3", "  replicas: .nan"))
w("infinity.yaml", GOOD.replace("  availability: 99.9", "  availability: .inf"))
w("float-replicas.yaml", GOOD.replace("  replicas: 3", "  replicas: 3.5"))
# Valid YAML, invalid Kubernetes names.
w("bad-name.yaml", GOOD.replace("  name: cassandra", "  name: Cassandra_DB"))
w("long-name.yaml", GOOD.replace("  name: cassandra", "  name: " + "c" * 64))
w("bad-port-name.yaml", GOOD.replace("    - name: intra", "    - name: intra-node-gossip-port"))
w("empty.yaml", "")
w("only-comments.yaml", "# nothing here\n")
w("null-root.yaml", "~\n")
w("list-root.yaml", "- a\n- b\n")
w("scalar-root.yaml", "hello\n")
# Overlay chains: self-reference and a chain of thousands.
w("self-extends.yaml", "extends: ./self-extends.yaml\n")
for i in range(3000):
    w(f"chain-{i}.yaml", f"extends: ./chain-{i + 1}.yaml\n")
