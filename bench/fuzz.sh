#!/usr/bin/env bash
# The fuzzer benchmark (release build):
#  1. throughput on specs/replication-3.yaml: events/s with 1 and 2 workers (fixed runs), without
#     novelty and with it (the default), and over a 30 s campaign (with novelty), where most
#     steps are taken from the states workers keep;
#  2. time to the first violation for every implemented mutation: random walks, swarm walks,
#     walks from the frontier (median over seeds 1..10, each run capped at a time limit) and BFS
#     (deterministic);
#  3. coverage: distinct states seen in 20 s on specs/replication-3.yaml, with and without
#     --frontier (seeds 1..3).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/bench
mkdir -p "$out"
limit=${FUZZ_LIMIT:-60}
swift build -c release $(make -s --no-print-directory swift-flags) --product raftcheck >/dev/null
for novelty in no-novelty novelty; do
    for workers in 1 2; do
        .build/release/raftcheck fuzz specs/replication-3.yaml --seed 1 --runs 20000 --workers "$workers" "--$novelty" \
            --stats-json "$out/fuzz-$novelty-w$workers.json" >/dev/null
    done
done
for workers in 1 2; do
    .build/release/raftcheck fuzz specs/replication-3.yaml --seed 1 --time-limit 30 --workers "$workers" \
        --stats-json "$out/campaign-w$workers.json" >/dev/null
done
# Every mutation of the bug zoo, on the spec `raftcheck mutants` catches it with.
pairs="commit-previous-term:figure8-3 vote-before-persist:crash-restart-3 forget-vote-on-step-down:forget-vote-3
truncate-on-matching-append:replication-3 count-duplicate-votes:duplicates-5 count-stale-votes:election-3
quorum-off-by-one:election-3 skip-log-up-to-date-check:replication-3 skip-prev-log-check:replication-3
term-not-persisted:crash-restart-3 two-pending-conf-changes:membership-3 read-index-before-term-commit:reads-3"
for pair in $pairs; do
    mutation=${pair%%:*}; spec=${pair##*:}
    for mode in random swarm frontier; do
        flags=""; [ "$mode" != random ] && flags="--$mode"
        for seed in 1 2 3 4 5 6 7 8 9 10; do
            .build/release/raftcheck fuzz "specs/$spec.yaml" --seed "$seed" --time-limit "$limit" --mutation "$mutation" $flags \
                --trace-out "$out/fz-$mutation-$mode-$seed.json" --stats-json "$out/fz-$mutation-$mode-$seed.stats.json" >/dev/null || true
        done
    done
    .build/release/raftcheck check "specs/$spec.yaml" --mutation "$mutation" --workers 2 --trace-out "$out/bfs-$mutation.json" \
        --stats-json "$out/bfs-$mutation.stats.json" >/dev/null || true
done
for seed in 1 2 3; do
    for mode in plain frontier; do
        flags=""; [ "$mode" = frontier ] && flags="--frontier"
        .build/release/raftcheck fuzz specs/replication-3.yaml --seed "$seed" --time-limit 20 $flags \
            --stats-json "$out/cover-$mode-$seed.json" >/dev/null
    done
done
python3 - "$out" "$limit" "$(echo $pairs)" <<'PY'
import json, statistics, sys
out, limit, pairs = sys.argv[1], float(sys.argv[2]), sys.argv[3].split()
for novelty in ("no-novelty", "novelty"):
    one, two = (json.load(open(f"{out}/fuzz-{novelty}-w{w}.json")) for w in (1, 2))
    print(f"throughput, specs/replication-3.yaml, 20,000 runs, --{novelty}: 1 worker {one['events_per_second']:,.0f} events/s, "
          f"2 workers {two['events_per_second']:,.0f} events/s ({one['elapsed_seconds'] / two['elapsed_seconds']:.2f}x)")
one, two = (json.load(open(f"{out}/campaign-w{w}.json")) for w in (1, 2))
print(f"throughput, specs/replication-3.yaml, 30 s campaign, --novelty: 1 worker {one['events_per_second']:,.0f} events/s "
      f"({one['events']:,} events), 2 workers {two['events_per_second']:,.0f} events/s ({two['events']:,} events)")
print()
print(f"| mutation | spec | random: median s (caught/10) | swarm | frontier | BFS: s (states) |")
print("|---|---|---|---|---|---|")
def median_time(mutation, mode):
    times, caught = [], 0
    for seed in range(1, 11):
        s = json.load(open(f"{out}/fz-{mutation}-{mode}-{seed}.stats.json"))
        found = s["violation"] is not None
        caught += found
        times.append(s["elapsed_seconds"] if found else float("inf"))
    m = statistics.median(times)
    return (f"{m:.2f}" if m != float("inf") else f"> {limit:.0f}") + f" ({caught}/10)"
for pair in pairs:
    mutation, spec = pair.split(":")
    b = json.load(open(f"{out}/bfs-{mutation}.stats.json"))
    bfs = f"{b['elapsed_seconds']:.2f} ({b['distinct_states']:,})" if b["violation"] \
        else f"not caught in {b['elapsed_seconds']:.0f} ({b['distinct_states']:,}, the spec's budget)"
    modes = " | ".join(median_time(mutation, mode) for mode in ("random", "swarm", "frontier"))
    print(f"| `{mutation}` | `{spec}` | {modes} | {bfs} |")
print()
for seed in (1, 2, 3):
    plain, frontier = (json.load(open(f"{out}/cover-{mode}-{seed}.json")) for mode in ("plain", "frontier"))
    print(f"coverage, replication-3, seed {seed}, 20 s: {plain['distinct_states_seen']:,} distinct states, "
          f"{frontier['distinct_states_seen']:,} with --frontier")
PY
