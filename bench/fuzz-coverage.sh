#!/usr/bin/env bash
# RaftCore's code reached by each fuzzing engine in one campaign of MINUTES (default 10) on SPEC
# (default specs/production-5.yaml), two processes each, both built with LLVM coverage on top
# of their usual build (so both pay for it):
#   libFuzzer   raftcheck-fuzzer -fork=2 (its forked jobs each write a profile)
#   raftcheck   raftcheck fuzz --workers 2 --seed 1
# Prints each engine's RaftCore region and line coverage (llvm-cov report, TOTAL line).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${MINUTES:-10}
spec=${1:-specs/production-5.yaml}
seconds=$((minutes * 60))
out=.build-fuzz-coverage/report
rm -rf "$out" && mkdir -p "$out/lf" "$out/rc" "$out/corpus"
make deps > /dev/null
flags="-c release $(make -s --no-print-directory swift-flags) -Xswiftc -profile-generate -Xswiftc -profile-coverage-mapping"
swift build $flags --scratch-path .build-fuzz-coverage/fuzzer --product raftcheck-fuzzer \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DRAFTCHECK_FUZZER -Xswiftc -use-ld=lld > /dev/null
swift build $flags --scratch-path .build-fuzz-coverage/raftcheck --product raftcheck > /dev/null
fuzzer=.build-fuzz-coverage/fuzzer/release/raftcheck-fuzzer
raftcheck=.build-fuzz-coverage/raftcheck/release/raftcheck
toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
export SWIFT_BACKTRACE=enable=no

LLVM_PROFILE_FILE="$out/lf/%p.profraw" RAFTCHECK_SPEC=$spec "$fuzzer" "$out/corpus" -fork=2 -seed=1 \
    -max_total_time="$seconds" -max_len=4096 > "$out/lf.log" 2>&1 || true
LLVM_PROFILE_FILE="$out/rc/%p.profraw" "$raftcheck" fuzz "$spec" --workers 2 --seed 1 --time-limit "$seconds" \
    --trace-out "$out/rc-trace.json" > "$out/rc.log" 2>&1 || true

sources=$(ls Sources/RaftCore/*.swift)
for engine in lf rc; do
    binary=$([ "$engine" = lf ] && echo "$fuzzer" || echo "$raftcheck")
    "$toolchain/llvm-profdata" merge -sparse "$out/$engine"/*.profraw -o "$out/$engine.profdata"
    # shellcheck disable=SC2086
    "$toolchain/llvm-cov" report "$binary" -instr-profile="$out/$engine.profdata" $sources > "$out/$engine-report.txt"
    echo "$([ "$engine" = lf ] && echo libFuzzer || echo raftcheck) ($minutes min, $spec): $(grep '^TOTAL' "$out/$engine-report.txt")"
done
grep -o 'exec/s: [0-9]*' "$out/lf.log" | tail -1 | sed 's/^/libFuzzer /'
tail -1 "$out/rc.log" | sed 's/^/raftcheck /'
