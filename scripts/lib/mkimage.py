#!/usr/bin/env python3
"""mkimage.py ROOTFS_DIR NAME:TAG OUT.tar [--entrypoint JSON] [--cmd JSON] [--env K=V]... [--user U] [--workdir D] [--port 11211/tcp]... [--volume /data]...
Packs a directory into a single-layer docker-archive (docker save format) that `ctr image import`,
`podman load` and `skopeo` accept. No daemon, no registry. Adapted from
shared/tools/real-node/mkimage.py: entries are sorted and their times fixed (SOURCE_DATE_EPOCH,
default 0), owners kept, so the same root filesystem gives the same image ID; --tag may repeat."""
import argparse, hashlib, io, json, os, tarfile, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("rootfs"); ap.add_argument("ref"); ap.add_argument("out")
ap.add_argument("--entrypoint"); ap.add_argument("--cmd")
ap.add_argument("--env", action="append", default=[]); ap.add_argument("--user", default="")
ap.add_argument("--workdir", default=""); ap.add_argument("--port", action="append", default=[])
ap.add_argument("--volume", action="append", default=[]); ap.add_argument("--stopsignal")
ap.add_argument("--tag", action="append", default=[])
a = ap.parse_args()

with tempfile.TemporaryFile() as layer:
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
        def fixed(ti):
            ti.mtime = epoch
            ti.pax_headers = {}
            return ti
        for name in sorted(os.listdir(a.rootfs)):
            t.add(os.path.join(a.rootfs, name), arcname=name, recursive=True, filter=fixed)
    layer.seek(0); h = hashlib.sha256()
    for chunk in iter(lambda: layer.read(1 << 20), b""): h.update(chunk)
    diff = "sha256:" + h.hexdigest(); size = layer.tell()
    env = a.env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    cfg = {"Env": env}
    if a.entrypoint: cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.cmd: cfg["Cmd"] = json.loads(a.cmd)
    if a.user: cfg["User"] = a.user
    if a.workdir: cfg["WorkingDir"] = a.workdir
    if a.port: cfg["ExposedPorts"] = {p: {} for p in a.port}
    if a.volume: cfg["Volumes"] = {v: {} for v in a.volume}
    if a.stopsignal: cfg["StopSignal"] = a.stopsignal
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": cfg,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "0")))),
        "rootfs": {"type": "layers", "diff_ids": [diff]},
        "history": [{"created_by": "mkimage.py " + a.rootfs}]}).encode()
    cid = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": cid + ".json", "RepoTags": [a.ref] + a.tag,
                            "Layers": [diff[7:] + "/layer.tar"]}]).encode()
    with tarfile.open(a.out, "w") as out:
        def addbytes(n, b):
            ti = tarfile.TarInfo(n); ti.size = len(b); out.addfile(ti, io.BytesIO(b))
        addbytes(cid + ".json", config)
        ti = tarfile.TarInfo(diff[7:] + "/layer.tar"); ti.size = size; layer.seek(0); out.addfile(ti, layer)
        addbytes("manifest.json", manifest)
print(a.ref, diff, size)
