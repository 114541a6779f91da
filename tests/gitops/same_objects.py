"""Exits 0 when two YAML streams hold the same Kubernetes objects (in any order, any key
order, any scalar style), else prints what differs and exits 1. Used by scripts/gitops-tier to
compare what kustomize or the Argo CD plugin produced with `ossc build`'s own output."""
import sys

import yaml


def objects(path):
    out = {}
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if not doc:
                continue
            meta = doc.get("metadata", {})
            out[(doc.get("kind"), meta.get("namespace", ""), meta.get("name"))] = doc
    return out


def main(got_path, want_path):
    got, want = objects(got_path), objects(want_path)
    missing = sorted(set(want) - set(got), key=str)
    extra = sorted(set(got) - set(want), key=str)
    changed = sorted((k for k in set(got) & set(want) if got[k] != want[k]), key=str)
    for k in missing:
        print(f"  missing {k}")
    for k in extra:
        print(f"  extra {k}")
    for k in changed:
        print(f"  differs {k}")
    if missing or extra or changed or not want:
        return 1
    print(f"  {len(want)} objects, all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
