#!/usr/bin/env bash
# The minimizer benchmark: every fuzz counterexample bench/fuzz.sh found (random and swarm,
# seeds 1..10) is minimized, the breadth-first pass on 2 threads; the table gives, per
# mutation, the fuzz lengths, the minimized lengths, the BFS-shortest length, how many came
# out on a smaller cluster, and the time. Run bench/fuzz.sh first. Then long traces: fuzz
# walks of up to 12,000 events on specs/long-walks-3.yaml (seeds 1..16, count-stale-votes)
# are minimized, one row each, longest first.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/bench
swift build -c release $(make -s --no-print-directory swift-flags) --product raftcheck >/dev/null
for trace in "$out"/fz-*-[0-9]*.json; do
    case "$trace" in *.stats.json|*.min.json) continue ;; esac
    [ -f "$trace" ] || continue
    .build/release/raftcheck minimize "$trace" --out "${trace%.json}.min.json" --stats-json "${trace%.json}.min.stats.json" --workers 2 >/dev/null
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
print("| mutation | fuzz traces | fuzz length (median) | minimized (median, max) | BFS shortest | max / shortest | on fewer nodes | seconds (max) |")
print("|---|---|---|---|---|---|---|---|")
mutations = sorted({os.path.basename(f)[len("bfs-"):-len(".stats.json")] for f in glob.glob(f"{out}/bfs-*.stats.json")})
for mutation in mutations:
    stats = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/fz-{mutation}-*-*.min.stats.json"))]
    bfs_path = f"{out}/bfs-{mutation}.stats.json"
    bfs = json.load(open(bfs_path))["violation"] if os.path.exists(bfs_path) else None
    shortest = bfs["length"] if bfs else None
    if not stats:
        print(f"| `{mutation}` | 0 (fuzzing did not catch it) | – | – | {shortest or '–'} | – | – | – |")
        continue
    lengths = [s["minimized_length"] for s in stats]
    ratio = f"{max(lengths) / shortest:.2f}" if shortest else "–"
    smaller = [s for s in stats if s["minimized_nodes"] < s["original_nodes"]]
    fewer = f"{len(smaller)} ({smaller[0]['original_nodes']} → {min(s['minimized_nodes'] for s in smaller)})" if smaller else "0"
    print(f"| `{mutation}` | {len(stats)} | {statistics.median(s['original_length'] for s in stats):.0f} | "
          f"{statistics.median(lengths):.0f}, {max(lengths)} | {shortest or '–'} | {ratio} | {fewer} | {max(s['elapsed_seconds'] for s in stats):.2f} |")
PY
for seed in $(seq 1 16); do
    .build/release/raftcheck fuzz specs/long-walks-3.yaml --seed "$seed" --runs 3 --depth 12000 --mutation count-stale-votes \
        --trace-out "$out/long-$seed.json" >/dev/null || true
    [ -f "$out/long-$seed.json" ] && .build/release/raftcheck minimize "$out/long-$seed.json" --out "$out/long-$seed.min.json" --workers 2 \
        --stats-json "$out/long-$seed.min.stats.json" >/dev/null
done
python3 - "$out" <<'PY'
import glob, json, sys
stats = sorted((json.load(open(f)) for f in glob.glob(f"{sys.argv[1]}/long-*.min.stats.json")), key=lambda s: -s["original_length"])
print()
print("| fuzz trace | events | minimized | replays | seconds |")
print("|---|---|---|---|---|")
for s in stats:
    name = s["trace"].rsplit("/", 1)[-1]
    print(f"| `{name}` | {s['original_length']:,} | {s['minimized_length']} | {s['replays']} | {s['elapsed_seconds']:.2f} |")
PY
