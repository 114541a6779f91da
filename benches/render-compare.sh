#!/usr/bin/env bash
# A generated GitOps repository rendered in one call, side by side in one run on this machine:
#   ossc render -m REPO/ossc-repository.yaml -o OUT
#                                      N overlays (team-X/svc-I.yaml, `extends:` a catalog base,
#                                      own name and storage size) listed in a repository manifest
#                                      over three clusters of three targets (generic, gke, eks),
#                                      written as N bundle directories (and, a second row, as N
#                                      files with --layout files); each service in a namespace of
#                                      its own, as the kustomize and helm renders have
#   kustomize build TOP                the same N services as N kustomize overlays (namespace and
#                                      name suffix) over the catalog bases as ossc builds them
#   helm template                      one chart whose template renders each base per service
#                                      through `tpl` with the service's name
# Each produces the same number of objects (counted and printed). Wall time from bash's clock,
# CPU and peak RSS from /usr/bin/time (the first run). Sizes: SIZES (default "1000 10000");
# LIMIT (default 900 s) stops a run that takes longer; PEERS=0 measures ossc alone.
# kustomize v5.7.1 and helm v3.21.4 are built from their Go modules into $OSSC_BENCH/bin once.
# No pass/fail: figures for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${OSSC_BENCH:-$HOME/.cache/ossc-bench}"
sizes="${SIZES:-1000 10000}"
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq time >/dev/null; }
export GOTOOLCHAIN=local
[ -x "$bench/bin/kustomize" ] || GOBIN="$bench/bin" go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1
[ -x "$bench/bin/helm" ] || GOBIN="$bench/bin" go install helm.sh/helm/v3/cmd/helm@v3.21.4
cargo build -q --release -p oss-cli --locked
ossc="$PWD/target/release/ossc"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mapfile -t bases < <(cd specs && ls ./*.yaml | sed 's|^\./||; s|\.yaml$||')

# The bases for kustomize and helm: each catalog service as ossc builds it (no namespace flag:
# kustomize sets one per service), and as a helm template with the name as a parameter.
mkdir -p "$work/kbase" "$work/chart/templates" "$work/chart/bases"
printf 'apiVersion: v2\nname: repo\nversion: 0.1.0\n' > "$work/chart/Chart.yaml"
for b in "${bases[@]}"; do
  "$ossc" build "$b" -o "$work/kbase/$b" 2>/dev/null
  # every object of the base, with the instance name as a template parameter
  "$ossc" build "$b" 2>/dev/null | sed "s/\\b$b\\b/{{ .name }}/g" > "$work/chart/bases/$b.yaml"
done
cat > "$work/chart/templates/all.yaml" <<'EOF'
{{- range .Values.services }}
{{ tpl ($.Files.Get (printf "bases/%s.yaml" .base)) . }}
{{- end }}
EOF

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
limit="${LIMIT:-900}"
run() { # NAME COMMAND... : wall ms (bash clock; median of 3 when a run takes under 10 s), CPU ms
  # and peak KiB (/usr/bin/time, first run); a run over LIMIT seconds (default 900) is stopped
  # and reported as ">LIMITs" (kustomize is superlinear in the number of overlays)
  local name="$1"; shift
  local walls=() t0 t1 rc=0
  t0=$EPOCHREALTIME
  timeout "$limit" /usr/bin/time -f '%U %S %M' -o "$work/$name.time" "$@" > "$work/$name.out" 2>"$work/$name.err" || rc=$?
  t1=$EPOCHREALTIME
  if [ "$rc" = 124 ]; then echo ">${limit}s - -"; return; fi
  [ "$rc" = 0 ] || { echo "$name failed (exit $rc):" >&2; tail -5 "$work/$name.err" >&2; echo "failed - -"; return; }
  walls+=($(( (${t1/./} - ${t0/./}) / 1000 )))
  if [ "${walls[0]}" -lt 10000 ]; then
    for _ in 1 2; do
      t0=$EPOCHREALTIME; "$@" > "$work/$name.out" 2>"$work/$name.err"; t1=$EPOCHREALTIME
      walls+=($(( (${t1/./} - ${t0/./}) / 1000 )))
    done
  fi
  read -r u s m < "$work/$name.time"
  printf '%s %s %s\n' "$(printf '%s\n' "${walls[@]}" | median)" "$(awk -v u="$u" -v s="$s" 'BEGIN{print (u+s)*1000}')" "$m"
}

for n in $sizes; do
  rm -rf "$work/repo" "$work/out" "$work/out-files" "$work/k"; mkdir -p "$work/repo" "$work/k"
  values="$work/values.yaml"; echo "services:" > "$values"
  top="resources:"
  manifest="$work/repo/ossc-repository.yaml"
  printf 'apiVersion: openservice.dev/v1alpha1\nkind: Repository\nclusters:\n  c0: {target: generic}\n  c1: {target: gke}\n  c2: {target: eks}\nservices:\n' > "$manifest"
  for i in $(seq 0 $((n - 1))); do
    b="${bases[$((i % ${#bases[@]}))]}"; t=$((i % 37)); mkdir -p "$work/repo/team-$t" "$work/k/svc-$i"
    printf 'extends: %s\nmetadata: {name: svc-%d}\ncapacity: {storage: %dGi}\n' "$b" "$i" $((1 + i % 50)) > "$work/repo/team-$t/svc-$i.yaml"
    printf 'namespace: team-%d-%d\nnameSuffix: "-%d"\nresources:\n- ../../kbase/%s\n' "$t" "$i" "$i" "$b" > "$work/k/svc-$i/kustomization.yaml"
    printf -- '- {spec: team-%d/svc-%d.yaml, name: team-%d/svc-%d, cluster: c%d}\n' "$t" "$i" "$t" "$i" $((i % 3)) >> "$manifest"
    top+=$'\n'"- svc-$i"
    printf -- '- {base: %s, name: svc-%d}\n' "$b" "$i" >> "$values"
  done
  printf '%s\n' "$top" > "$work/k/kustomization.yaml"
  read -r ow oc om < <(run ossc "$ossc" render -m "$manifest" -o "$work/out")
  objects_ossc=$(find "$work/out" -name '*.yaml' ! -name kustomization.yaml | wc -l)
  read -r fw fc fm < <(run ossc-files "$ossc" render -m "$manifest" -o "$work/out-files" --layout files)
  objects_files=$(find "$work/out-files" -name '*.yaml' -exec cat {} + | grep -c '^kind:' || true)
  kw=skipped kc=- km=- objects_k=- hw=skipped hc=- hm=- objects_h=-
  if [ "${PEERS:-1}" = 1 ]; then
    read -r kw kc km < <(run kustomize "$bench/bin/kustomize" build "$work/k")
    objects_k=$(grep -c '^kind:' "$work/kustomize.out" || true)
    read -r hw hc hm < <(run helm "$bench/bin/helm" template repo "$work/chart" -f "$values")
    objects_h=$(grep -c '^kind:' "$work/helm.out" || true)
  fi
  echo "$n services:"
  printf '  %-10s %9s %9s %12s %9s\n' tool "wall ms" "cpu ms" "peak KiB" objects
  printf '  %-10s %9s %9s %12s %9s\n' "ossc" "$ow" "$oc" "$om" "$objects_ossc" "ossc files" "$fw" "$fc" "$fm" "$objects_files" \
    kustomize "$kw" "$kc" "$km" "$objects_k" helm "$hw" "$hc" "$hm" "$objects_h"
  awk -v o="$ow" -v f="$fw" -v k="$kw" -v h="$hw" 'function r(peer, me) { return peer ~ /^[0-9]+$/ ? sprintf("1/%.1f", peer / me) : "n/a (" peer ")" }
    BEGIN{
    printf "  ossc (dirs) takes %s of kustomize and %s of helm (wall)\n", r(k, o), r(h, o)
    printf "  ossc (files) takes %s of kustomize and %s of helm (wall)\n", r(k, f), r(h, f) }'
done
