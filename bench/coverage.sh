#!/usr/bin/env bash
# How much of RaftCore the explorer alone reaches: builds `raftcheck` with LLVM coverage in its
# own scratch path (.build-coverage), runs `check` on every spec in specs/ (each within
# COVERAGE_CHECK seconds, or its own budget if smaller) and a swarm fuzz campaign on each
# (COVERAGE_FUZZ seconds), then the bug zoo (`mutants`); renders every trace found with `show`
# (text, Mermaid, HTML), and prints RaftCore's region and line coverage per file and in total.
# No unit test runs here: only the explorer's own events reach the core.
#
# Usage: bench/coverage.sh [SPEC ...]   (default: specs/*.yaml)
# Environment: COVERAGE_CHECK (default 20), COVERAGE_FUZZ (default 10), COVERAGE_OUT (default
# .build-coverage/report).
set -euo pipefail
cd "$(dirname "$0")/.."
check_seconds=${COVERAGE_CHECK:-20}
fuzz_seconds=${COVERAGE_FUZZ:-10}
out=${COVERAGE_OUT:-.build-coverage/report}
scratch=.build-coverage

make deps >/dev/null
swift build -c release $(make -s --no-print-directory swift-flags) --scratch-path "$scratch" --product raftcheck \
    -Xswiftc -profile-generate -Xswiftc -profile-coverage-mapping >/dev/null
bin="$scratch/release/raftcheck"
toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
profdata=$toolchain/llvm-profdata
cov=$toolchain/llvm-cov

rm -rf "$out"
mkdir -p "$out/profiles" "$out/traces"
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(specs/*.yaml)
for spec in "${specs[@]}"; do
    name=$(basename "$spec" .yaml)
    # Each run writes its own profile (%p: the process ID); exit 1 (a violation) is a finding of
    # the run, not a failure of this script.
    LLVM_PROFILE_FILE="$out/profiles/$name-check-%p.profraw" \
        "$bin" check "$spec" --workers 2 --time-limit "$check_seconds" \
        --trace-out "$out/traces/$name-check.json" >"$out/$name-check.log" 2>&1 || true
    LLVM_PROFILE_FILE="$out/profiles/$name-fuzz-%p.profraw" \
        "$bin" fuzz "$spec" --swarm --seed 1 --workers 2 --time-limit "$fuzz_seconds" \
        --trace-out "$out/traces/$name-fuzz.json" >"$out/$name-fuzz.log" 2>&1 || true
    echo "ran $name: $(tail -n 1 "$out/$name-check.log")"
done

# Mutation code counts as reached only where its mutation runs: the bug zoo, under coverage too.
LLVM_PROFILE_FILE="$out/profiles/mutants-%p.profraw" \
    "$bin" mutants --time-limit 10 --out "$out/mutants" >"$out/mutants.log" 2>&1 || true
echo "ran mutants: $(tail -n 1 "$out/mutants.log")"

# Every trace found is read back as a user would: `show` as a timeline, a diagram and a page.
for trace in "$out"/traces/*.json "$out"/mutants/*.json; do
    [ -e "$trace" ] || continue
    for format in text mermaid html; do
        LLVM_PROFILE_FILE="$out/profiles/show-%p.profraw" \
            "$bin" show "$trace" --format "$format" >>"$out/show.log" 2>&1 || true
    done
done

"$profdata" merge -sparse "$out"/profiles/*.profraw -o "$out/raftcheck.profdata"
sources=$(ls Sources/RaftCore/*.swift)
# shellcheck disable=SC2086
"$cov" report "$bin" -instr-profile="$out/raftcheck.profdata" $sources >"$out/report.txt"
# shellcheck disable=SC2086
"$cov" show "$bin" -instr-profile="$out/raftcheck.profdata" -show-regions -format=text $sources >"$out/show.txt"
# shellcheck disable=SC2086
"$cov" export "$bin" -instr-profile="$out/raftcheck.profdata" $sources >"$out/export.json"
python3 bench/unreached.py "$out/export.json" >"$out/unreached.txt"
# The per-file table, as `llvm-cov report` prints it: regions, missed, cover, ..., lines.
cat "$out/report.txt"
echo "regions not reached, by line: $out/unreached.txt (in context: $out/show.txt, lines marked ^0)"
