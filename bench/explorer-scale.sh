#!/usr/bin/env bash
# Exhaustive search at scale: BFS of a spec (default specs/figure8-3.yaml) with 2 workers up
# to a number of distinct states (default 10,000,000), the queue spilling to disk past
# --queue-memory. Prints the time, the rates, peak resident memory (ru_maxrss) per distinct
# state and the most the queue held on disk. Usage: bench/explorer-scale.sh [STATES] [SPEC]
set -euo pipefail
cd "$(dirname "$0")/.."
states=${1:-10000000}
spec=${2:-specs/figure8-3.yaml}
out=.build/bench
mkdir -p "$out"
swift build -c release $(make -s --no-print-directory swift-flags) --product raftcheck >/dev/null
.build/release/raftcheck check "$spec" --workers 2 --max-states "$states" --time-limit 7200 \
    --spill-dir "$out" --stats-json "$out/scale.json" >"$out/scale.log"
python3 - "$spec" "$out/scale.json" <<'PY'
import json, sys
spec, s = sys.argv[1], json.load(open(sys.argv[2]))
d = s["distinct_states"]
print(f"spec {spec}: {d:,} distinct, {s['generated_states']:,} generated, depth {s['max_depth']}, end {s['end']}")
print(f"{s['elapsed_seconds']:.0f} s: {s['states_per_second']:,.0f} generated/s, {s['distinct_states_per_second']:,.0f} distinct/s (2 workers)")
print(f"peak memory {s['peak_memory_bytes'] / 2**20:,.0f} MiB = {s['peak_memory_bytes'] / d:.1f} B per distinct state "
      f"(fingerprints {s['fingerprint_bytes'] / 2**20:,.0f} MiB); queue on disk at most {s['queue_disk_bytes_peak'] / 2**30:.2f} GiB")
PY
