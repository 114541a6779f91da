#!/usr/bin/env bash
# The node tier's dynamic volume provisioner for StorageClass ossc-local (provisioner
# ossc.dev/local-dir, WaitForFirstConsumer). Started and stopped by scripts/cluster.
#
# A claim of that class waits until the scheduler has picked its pod's node (annotation
# volume.kubernetes.io/selected-node); then it gets a `local` PersistentVolume on a directory of
# that node (under $PV_ROOT/node-X/volumes), pinned to the node by nodeAffinity, exactly as a
# real local-disk provisioner does: the pod is bound to the node its data is on, and the kubelet
# applies fsGroup ownership. A Released volume with reclaimPolicy Delete is deleted with its
# directory; Retain keeps both. One pass a second, until killed.
set -uo pipefail
K="${KUBECTL:?}"
: "${PV_ROOT:?}"
while :; do
  "$K" get pvc -A -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.namespace}{" "}{.metadata.name}{" "}{.metadata.uid}{" "}{.spec.resources.requests.storage}{" "}{.spec.storageClassName}{" "}{.metadata.annotations.volume\.kubernetes\.io/selected-node}{"\n"}{end}' 2>/dev/null |
  while read -r ns name uid size sc node; do
    [ "$sc" = ossc-local ] && [ -n "${node:-}" ] || continue
    pv="pvc-$uid"
    "$K" get pv "$pv" >/dev/null 2>&1 && continue
    dir="$PV_ROOT/$node/volumes/$pv"
    mkdir -p "$dir"; chmod 0755 "$dir"
    if "$K" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $pv
  annotations: {pv.kubernetes.io/provisioned-by: ossc.dev/local-dir}
  labels: {ossc.dev/claim-namespace: "$ns"}
spec:
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: ossc-local
  volumeMode: Filesystem
  claimRef: {namespace: "$ns", name: "$name", uid: "$uid"}
  local: {path: "$dir"}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: ["$node"]}
EOF
    then echo "$(date -u +%T) provisioned $ns/$name on $node ($size)"; fi
  done
  "$K" get pv -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{" "}{.spec.persistentVolumeReclaimPolicy}{" "}{.spec.local.path}{"\n"}{end}' 2>/dev/null |
  while read -r pv policy path; do
    [ "$policy" = Delete ] || continue
    case "$path" in "$PV_ROOT"/*/volumes/pvc-*) ;; *) continue ;; esac
    "$K" delete pv "$pv" --wait=false >/dev/null 2>&1 && rm -rf "$path" && echo "$(date -u +%T) deleted $pv"
  done
  sleep 1
done
