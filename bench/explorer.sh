#!/usr/bin/env bash
# The explorer benchmark: exhaustive search of a spec (default specs/replication-3.yaml) in a
# release build, with 1 and 2 workers. Prints generated and distinct states per second, the
# speed-up from 1 to 2 workers, bytes per distinct state in the fingerprint set, peak memory,
# and heap allocations per generated state (counted by bench/malloc_count.c, LD_PRELOAD).
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-specs/replication-3.yaml}
out=.build/bench
mkdir -p "$out"
swift build -c release $(make -s --no-print-directory swift-flags) --product raftcheck >/dev/null
${CC:-clang} -O2 -shared -fPIC -o "$out/malloc_count.so" bench/malloc_count.c
for workers in 1 2; do
    .build/release/raftcheck check "$spec" --workers "$workers" --stats-json "$out/w$workers.json" >/dev/null
done
LD_PRELOAD="$PWD/$out/malloc_count.so" .build/release/raftcheck check "$spec" --stats-json "$out/alloc.json" \
    >/dev/null 2>"$out/alloc.err"
python3 - "$spec" "$out" <<'PY'
import json, re, sys
spec, out = sys.argv[1], sys.argv[2]
one, two = (json.load(open(f"{out}/w{w}.json")) for w in (1, 2))
allocs = int(re.search(r"malloc-count: (\d+)", open(f"{out}/alloc.err").read()).group(1))
counted = json.load(open(f"{out}/alloc.json"))
assert one["distinct_states"] == two["distinct_states"], "workers disagree"
print(f"spec {spec}: {one['distinct_states']:,} distinct, {one['generated_states']:,} generated, depth {one['max_depth']}, complete {one['complete']}")
print("| workers | seconds | generated/s | distinct/s | speed-up |")
print("|---|---|---|---|---|")
for w, s in ((1, one), (2, two)):
    print(f"| {w} | {s['elapsed_seconds']:.2f} | {s['states_per_second']:,.0f} | {s['distinct_states_per_second']:,.0f} | {one['elapsed_seconds'] / s['elapsed_seconds']:.2f}x |")
print(f"fingerprint set: {one['bytes_per_distinct_state']:.1f} bytes per distinct state ({one['fingerprint_bits']}-bit); "
      f"peak memory {one['peak_memory_bytes'] / 2**20:.0f} MiB ({one['peak_memory_bytes'] / one['distinct_states']:.0f} B per distinct state)")
print(f"heap allocations: {allocs / counted['generated_states']:.1f} per generated state ({allocs:,} in all)")
PY
