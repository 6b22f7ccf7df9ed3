#!/usr/bin/env bash
# Our explorer against TLC on identical state spaces: Ongaro's raft.tla under MCraft.tla's
# bounds (specs/tla/*.yaml; TLC 2.20's figures below, measured on a 2-core machine like the
# development one). For each config and 1 and 2 workers: distinct states and depth
# (which must equal TLC's), wall time, peak memory, and the ratios against TLC.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/bench
mkdir -p "$out"
swift build -c release $(make -s --no-print-directory swift-flags) --product raftcheck >/dev/null
for config in small tiny tiny_sym; do
    for workers in 1 2; do
        .build/release/raftcheck check "specs/tla/$config.yaml" --workers "$workers" \
            --stats-json "$out/tla-$config-w$workers.json" >/dev/null
    done
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
# TLC 2.20 on this kind of machine: distinct, depth, seconds with 1 and 2 workers; peak memory
# per distinct state about 155 B (256 MB heap).
tlc = {"small": (705532, 39, 102, 61), "tiny": (2379781, 53, 348, 192), "tiny_sym": (397346, 53, 71, 44)}
tlc_bytes = 155
print("| config | workers | distinct (TLC) | depth (TLC) | seconds (TLC) | speed-up | peak memory | B/state (TLC ≈155) |")
print("|---|---|---|---|---|---|---|---|")
for config, (distinct, depth, t1, t2) in tlc.items():
    for workers, tlc_seconds in ((1, t1), (2, t2)):
        s = json.load(open(f"{out}/tla-{config}-w{workers}.json"))
        assert s["distinct_states"] == distinct and s["max_depth"] == depth, f"{config}: disagrees with TLC"
        per_state = s["peak_memory_bytes"] / s["distinct_states"]
        print(f"| {config} | {workers} | {s['distinct_states']:,} ({distinct:,}) | {s['max_depth']} ({depth}) | "
              f"{s['elapsed_seconds']:.2f} ({tlc_seconds}) | {tlc_seconds / s['elapsed_seconds']:.1f}x | "
              f"{s['peak_memory_bytes'] / 2**20:.0f} MiB | {per_state:.0f} ({per_state / tlc_bytes:.2f} of TLC) |")
PY
