#!/usr/bin/env bash
# Side-by-side, in one run on this machine: `ossc build specs/cassandra.yaml` against kustomize
# rendering the *same* bundle (ossc's own `-o` output as the base, with a small overlay that sets
# a namespace): kustomize v5 built from its Go module, and `kubectl kustomize` where a kubectl
# exists (scripts/cluster builds one). Runs are interleaved; prints median wall and CPU time and
# peak RSS (/usr/bin/time) for each and the ratios. Then `ossc validate` over 10..10000 specs,
# to show the growth is linear. No pass/fail: figures for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-21}"
bench="${OSSC_BENCH:-$HOME/.cache/ossc-bench}"
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq time >/dev/null; }
if [ ! -x "$bench/bin/kustomize" ]; then
  echo "building kustomize v5.7.1 from its Go module" >&2
  GOBIN="$bench/bin" GOTOOLCHAIN=local go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1
fi
cargo build -q --release -p oss-cli --locked
ossc=target/release/ossc
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$ossc" build specs/cassandra.yaml -o "$work/base"
mkdir -p "$work/overlay"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: cassandra\nresources:\n- ../base\n' > "$work/overlay/kustomization.yaml"

declare -A cmds=(
  [ossc]="$ossc build specs/cassandra.yaml"
  [kustomize]="$bench/bin/kustomize build $work/overlay"
)
kubectl="${KUBECTL:-$HOME/.cache/ossc-cluster/bin/kubectl}"
[ -x "$kubectl" ] && cmds[kubectl-kustomize]="$kubectl kustomize $work/overlay"
names=(ossc kustomize); [ -n "${cmds[kubectl-kustomize]:-}" ] && names+=(kubectl-kustomize)
for name in "${names[@]}"; do : > "$work/$name.times"; : > "$work/$name.wall"; done
for _ in $(seq 1 "$runs"); do
  for name in "${names[@]}"; do
    # Wall time from bash's own clock around a bare exec (no `date` or `time` process inside the
    # measurement: their ~2 ms would hide most of ossc's); CPU and RSS from a second, separate run.
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2086
    ${cmds[$name]} > /dev/null
    t1=$EPOCHREALTIME
    echo $(( (${t1/./} - ${t0/./}) )) >> "$work/$name.wall"   # microseconds
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %U %S %M' -a -o "$work/$name.times" ${cmds[$name]} > /dev/null
  done
done
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-18s %12s %12s %12s\n' command "wall (ms)" "cpu (ms)" "peak RSS (KiB)"
declare -A wall
for name in "${names[@]}"; do
  w=$(awk '{printf "%.2f\n", $1/1000}' "$work/$name.wall" | median)
  c=$(awk '{print ($2+$3)*1000}' "$work/$name.times" | median)
  m=$(awk '{print $4}' "$work/$name.times" | median)
  wall[$name]=$w
  printf '%-18s %12s %12s %12s\n' "$name" "$w" "$c" "$m"
done
for name in "${names[@]:1}"; do
  awk -v a="${wall[ossc]}" -v b="${wall[$name]}" -v n="$name" 'BEGIN{ printf "ossc takes 1/%.0f of %s median wall time (goal: 1/20 or less)\n", b/a, n }'
done

echo
echo "ossc validate over N specs (one call):"
mkdir -p "$work/specs"
catalog=(specs/*.yaml)
for i in $(seq 1 10000); do
  e=$((i % 12))
  src="${catalog[$e]}"
  cp "$src" "$work/specs/s$i.yaml"
done
all=("$work"/specs/*.yaml)
for n in 10 100 1000 10000; do
  files="${all[*]:0:$n}"
  # shellcheck disable=SC2086
  t0=$EPOCHREALTIME
  "$ossc" validate $files > /dev/null 2>&1 || true
  t1=$EPOCHREALTIME
  ms=$(( (${t1/./} - ${t0/./}) / 1000 ))
  # shellcheck disable=SC2086
  /usr/bin/time -f '%e %M' -o "$work/v.time" "$ossc" validate $files > /dev/null 2>&1 || true
  read -r _ kb < <(tail -n 1 "$work/v.time")
  printf '  %6d specs: %6d ms, %6d KiB peak\n' "$n" "$ms" "$kb"
done
