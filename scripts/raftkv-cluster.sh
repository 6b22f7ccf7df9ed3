#!/usr/bin/env bash
# Starts a 3-member raftkv cluster on 127.0.0.1 in a scratch directory (or DIR), in the
# foreground; Ctrl-C stops it. Clients connect to ports 8001-8003 (BASE+1..3, BASE=8000 by
# default), peers talk on 7001-7003. Try: printf 'PUT a 1\nGET a\n' | nc 127.0.0.1 8001
# Usage: scripts/raftkv-cluster.sh [DIR] [BASE]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/raftkv.XXXXXX")}
base=${2:-8000}
swift build -c release $(make -s --no-print-directory swift-flags) --product raftkv >/dev/null
peers="1=127.0.0.1:$((base - 999)),2=127.0.0.1:$((base - 998)),3=127.0.0.1:$((base - 997))"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for id in 1 2 3; do
    .build/release/raftkv --id "$id" --data "$dir/$id" --peers "$peers" --listen "127.0.0.1:$((base + id))" &
    pids+=($!)
done
echo "data in $dir; clients: 127.0.0.1:$((base + 1)), :$((base + 2)), :$((base + 3)); Ctrl-C stops"
wait
