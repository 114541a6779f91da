#!/usr/bin/env python3
"""Writes the node tier's results (target/node-tier/results.json) into docs/runtime.md, between
the markers `<!-- node-tier:begin -->` and `<!-- node-tier:end -->`: a service x check table with
the measured times, and every check's full line below it. Only what ran is reported; a service
or check that did not run is SKIPPED with its reason.

    python3 tests/node/report.py RESULTS.json docs/runtime.md
"""
import json
import re
import sys
from collections import OrderedDict

CHECKS = ["ready", "function", "connect: try", "access", "credentials and binding", "dependency", "backup and restore", "metrics", "volumes", "tls", "tls-cert-manager",
          "heal: pod deleted", "heal: process killed", "heal: disk lost",
          "disruption: eviction", "failover: primary lost", "upgrade: image rolled", "lifecycle: restartGeneration",
          "lifecycle: stopped/running", "scale: member joins", "uninstall keeps data"]
SHORT = ["ready", "function", "try", "access", "credentials", "dependency", "backup", "metrics", "volumes", "tls", "cert-manager", "heal (delete)", "heal (kill)", "disk lost", "eviction", "failover", "upgrade",
         "restart", "stop/start", "scale", "uninstall"]
BEGIN, END = "<!-- node-tier:begin -->", "<!-- node-tier:end -->"


def cell(r, check=""):
    if r is None:
        # a check only some services have (a primary to lose): not applicable to the others
        return "—" if check in ("failover: primary lost", "heal: disk lost", "dependency", "volumes", "tls", "tls-cert-manager") else "not run"
    if r["status"] != "PASS":
        return f"**{r['status']}**"
    failover = re.search(r"acknowledged again ([\d.]+)s after the kill; (\d+) writes acknowledged, (\d+) of them missing", r["detail"])
    if failover:
        return f"pass {failover.group(1)} s, {failover.group(3)}/{failover.group(2)} writes lost"
    secs = re.findall(r"in (\d+)s", r["detail"])
    rate = re.search(r"(\d+)/(\d+) client ops failed", r["detail"])
    out = "pass"
    if secs:
        out += f" {secs[-1]} s" if r["check"] != "ready" else f" {secs[0]} s"
    if rate:
        out += f", {rate.group(1)}/{rate.group(2)} errors"
    return out


def drills(checks):
    """The backup drills' cell: one check a drill ("backup and restore (postgres)"), counted."""
    ran = {c[len("backup and restore ("):-1]: r["status"] for c, r in checks.items() if c.startswith("backup and restore (")}
    if not ran:
        return "—"
    failed = [n for n, st in ran.items() if st == "FAIL"]
    passed = [n for n, st in ran.items() if st == "PASS"]
    if failed:
        return f"**FAIL** ({', '.join(failed)})"
    return f"pass {len(passed)} of {len(ran)} ({', '.join(passed)})"


def main():
    results = json.load(open(sys.argv[1]))
    by = OrderedDict()
    for r in results:
        by.setdefault(r["service"], {})[r["check"]] = r
    lines = [BEGIN, "", "| service | " + " | ".join(SHORT) + " |", "|---" * (len(SHORT) + 1) + "|"]
    for svc, checks in by.items():
        if not any(c in CHECKS or c == "all" for c in checks):
            continue  # checks of their own (the quick start): in the lines below only
        if "all" in checks:
            lines.append(f"| {svc} | " + " | ".join(["**SKIPPED**"] * len(SHORT)) + " |")
        else:
            lines.append(f"| {svc} | " + " | ".join(drills(checks) if c == "backup and restore" else cell(checks.get(c), c)
                                                   for c in CHECKS) + " |")
    lines += ["", "Every line the tier printed, per service:", ""]
    for svc, checks in by.items():
        lines.append(f"- **{svc}**")
        for c, r in checks.items():
            detail = r["detail"].replace("|", "\\|").replace("\n", " ")
            lines.append(f"  - {r['status']} {c}: {detail}")
    passed = sum(r["status"] == "PASS" for r in results)
    failed = sum(r["status"] == "FAIL" for r in results)
    skipped = sum(r["status"] == "SKIPPED" for r in results)
    lines += ["", f"Totals: {passed} passed, {failed} failed, {skipped} skipped.", "", END]
    doc = open(sys.argv[2]).read()
    if BEGIN not in doc or END not in doc:
        sys.exit(f"{sys.argv[2]} has no node-tier markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(sys.argv[2], "w").write(head + "\n".join(lines) + tail)


if __name__ == "__main__":
    main()
