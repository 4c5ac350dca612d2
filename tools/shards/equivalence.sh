#!/usr/bin/env bash
# The done-when of sharding, on a real repository: runs the acceptance suite unsharded and as
# SPEC_SHARD=1/N..N/N (one after the other, each into its own reports directory under OUT),
# merges the shards' reports with merge-reports, and compares the test cases and verdicts of
# the merged junit.xml with the unsharded one's. Also checks that every external run was made
# by exactly one shard and that together they made the unsharded run's.
# Usage: tools/shards/equivalence.sh [OUT] [N]   (SPEC_ROOT as for `make specs`; BIN_DIR=OUT/bin
# of an earlier run reuses its binaries)
# Prints each run's wall time and the merge's; exit 1 when the merged report differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d /tmp/homelab-spec-shards.XXXXXX)}
count=${2:-3}
cargo=${CARGO:-cargo}
mkdir -p "$out"
# Built once and copied: the runs below time the suite, not a rebuild (a shared target
# directory may be rebuilt by another checkout in between).
mkdir -p "$out/bin"
if [[ -n ${BIN_DIR:-} ]]; then # binaries built by an earlier run of this script
    cp "$BIN_DIR/acceptance" "$BIN_DIR/merge-reports" "$out/bin/"
else
binaries=$($cargo test --no-run --test acceptance --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="acceptance": print(m["executable"])')
cp "$binaries" "$out/bin/acceptance"
merge_bin=$($cargo build --bin merge-reports --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="merge-reports": print(m["executable"])')
cp "$merge_bin" "$out/bin/merge-reports"
fi

run() { # name, SPEC_SHARD or empty
    local name=$1 shard=$2 start end status=0
    start=$(date +%s.%N)
    SPEC_SHARD=$shard SPEC_REPORTS="$out/$name" "$out/bin/acceptance" >"$out/$name.log" 2>&1 || status=$?
    end=$(date +%s.%N)
    printf '%-10s %6.1f s  exit %s  %s\n' "$name" "$(echo "$end - $start" | bc)" "$status" "$(tail -1 "$out/$name.log")"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n ${SKIP_UNSHARDED:-} && -f $out/all/junit.xml ]] || run all ""
dirs=()
for k in $(seq 1 "$count"); do
    run "shard-$k" "$k/$count"
    dirs+=("$out/shard-$k")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Its exit status says whether the merged run failed; the comparison below is the verdict.
start=$(date +%s.%N)
"$out/bin/merge-reports" "$out/merged" "${dirs[@]}" || true
printf 'merge      %6.3f s wall ('"$count"' shards)\n' "$(echo "$(date +%s.%N) - $start" | bc)"

python3 tools/shards/junit_verdicts.py "$out/all/junit.xml" >"$out/all.verdicts"
python3 tools/shards/junit_verdicts.py "$out/merged/junit.xml" >"$out/merged.verdicts"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
runs = json.load(open(f"{out}/all/shard.json"))["external_runs"]
merged = json.load(open(f"{out}/merged/shard.json"))["external_runs"]
print(f"external runs: unsharded {len(runs)}, shards together {len(merged)}")
sys.exit(0 if sorted(runs) == sorted(merged) else 1)
PY
if diff -u "$out/all.verdicts" "$out/merged.verdicts" >"$out/verdicts.diff"; then
    echo "equivalent: $(wc -l <"$out/all.verdicts") test cases, the same names and verdicts (reports in $out)"
else
    echo "DIFFERENT: see $out/verdicts.diff"
    head -40 "$out/verdicts.diff"
    exit 1
fi
