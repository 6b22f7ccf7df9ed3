#!/usr/bin/env bash
# The RaftCheck safety gate, as a pipeline runs it: build in release, check every spec (each
# within its budget), write a JUnit report, keep the traces of failures beside it.
# Usage: CI/safety-gate.sh [SPEC_OR_DIR ...]   (default: specs/)
# Environment: GATE_OUT (report directory, default gate-report), GATE_WORKERS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${GATE_OUT:-gate-report}
make deps
swift build -c release --product raftcheck
mkdir -p "$out"
status=0
.build/release/raftcheck gate "${@:-specs}" --junit "$out/junit.xml" --workers "${GATE_WORKERS:-2}" || status=$?
echo "safety gate: exit $status (0 clean, 1 violation, 2 bad spec, 3 internal error); report in $out/"
exit "$status"
