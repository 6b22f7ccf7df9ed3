#!/usr/bin/env bash
# Time to the first violation of every bug-zoo mutation, by two engines on the same spec (the
# first the catalog names, `raftcheck mutants --list`), seeds 1..SEEDS, each run capped at CAP
# seconds (a run that finds nothing counts as CAP):
#   libFuzzer   raftcheck-fuzzer -fork=2 (coverage of the real core guides it)
#   raftcheck   raftcheck fuzz --workers 2 (novelty guides it)
# Prints a Markdown table: the median and worst seconds per engine, how many seeds found it, and
# each engine's executions per second (libFuzzer: inputs; raftcheck: runs, i.e. walks).
set -euo pipefail
cd "$(dirname "$0")/.."
CAP=${CAP:-30}
SEEDS=${SEEDS:-5}
make -s build > /dev/null
.clusterfuzzlite/build.sh > /dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SWIFT_BACKTRACE=enable=no
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'; }
stats() { sort -n | awk -v cap="$CAP" '{ v[NR] = $1; if ($1 < cap) f++ } END { printf "%.2f | %.2f | %d/%d", v[int((NR + 1) / 2)], v[NR], f, NR }'; }

echo "| mutation | spec | libFuzzer median s | worst s | found | raftcheck median s | worst s | found | libFuzzer exec/s | raftcheck runs/s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
.build/release/raftcheck mutants --list | while IFS=$'\t' read -r mutation specs _; do
    spec="specs/${specs%%,*}.yaml"
    : > "$tmp/lf" ; : > "$tmp/rc" ; : > "$tmp/lf-rate" ; : > "$tmp/rc-rate"
    for seed in $(seq 1 "$SEEDS"); do
        rm -rf "$tmp/run" && mkdir -p "$tmp/run/corpus"
        start=$EPOCHREALTIME
        RAFTCHECK_SPEC=$spec RAFTCHECK_MUTATION=$mutation .build-fuzz/out/raftcheck-fuzzer "$tmp/run/corpus" \
            -fork=2 -seed="$seed" -max_total_time="$CAP" -artifact_prefix="$tmp/run/" > "$tmp/run/log" 2>&1 || true
        elapsed=$(since "$start")
        if ls "$tmp/run"/crash-* > /dev/null 2>&1; then echo "$elapsed" >> "$tmp/lf"; else echo "$CAP" >> "$tmp/lf"; fi
        grep -o 'exec/s: [0-9]*' "$tmp/run/log" | tail -1 | awk '{ print $2 }' >> "$tmp/lf-rate" || true
        .build/release/raftcheck fuzz "$spec" --mutation "$mutation" --seed "$seed" --workers 2 --time-limit "$CAP" \
            --trace-out "$tmp/run/trace.json" --stats-json "$tmp/run/stats.json" > /dev/null 2>&1 || true
        python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['elapsed_seconds'] if s['violation'] else sys.argv[2])" \
            "$tmp/run/stats.json" "$CAP" >> "$tmp/rc"
        python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(int(s['runs'] / max(s['elapsed_seconds'], 1e-9)))" "$tmp/run/stats.json" >> "$tmp/rc-rate"
    done
    lf_rate=$(sort -n "$tmp/lf-rate" | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }')
    rc_rate=$(sort -n "$tmp/rc-rate" | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }')
    echo "| \`$mutation\` | \`${specs%%,*}\` | $(stats < "$tmp/lf") | $(stats < "$tmp/rc") | $lf_rate | $rc_rate |"
done
