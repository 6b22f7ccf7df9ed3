#!/usr/bin/env bash
# Throughput and latency of raftkv PUTs on a 3-member cluster on 127.0.0.1, fsync on, next to
# the raw fsync rate of the same disk. Each row: C concurrent clients (one connection each,
# one request at a time) writing for SECONDS to the leader; ops/s, p50 and p99 latency.
# Rows with batching (inputs that arrive together share one sync) and without (--no-batching),
# with the leader's synced writes per PUT.
# Usage: bench/raftkv.sh [SECONDS] [CLIENT COUNTS...]   (default: 10 s; 1 8 32 clients)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true
clients=${*:-1 8 32}
swift build -c release $(make -s --no-print-directory swift-flags) --product raftkv >/dev/null
dir=$(mktemp -d "${TMPDIR:-/tmp}/raftkv-bench.XXXXXX")
trap 'pkill -9 -f "raftkv --id [0-9]+ --data $dir" 2>/dev/null || true; rm -rf "$dir"' EXIT
python3 - "$dir" "$seconds" $clients <<'PY'
import os, socket, subprocess, sys, threading, time

root, seconds, clients = sys.argv[1], float(sys.argv[2]), [int(c) for c in sys.argv[3:]]

def fsync_rate(path, n=300):
    with open(path, "wb") as f:
        start = time.monotonic()
        for _ in range(n):
            f.write(b"x" * 512)
            f.flush()
            os.fsync(f.fileno())
        return n / (time.monotonic() - start)

def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks: s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks: s.close()
    return ports

def ask(sock_file, sock, line):
    sock.sendall((line + "\n").encode())
    return sock_file.readline().strip()

def start_cluster(tag, extra):
    ports = free_ports(6)
    peers = ",".join(f"{i + 1}=127.0.0.1:{ports[i]}" for i in range(3))
    procs = [subprocess.Popen([".build/release/raftkv", "--id", str(i + 1), "--data", f"{root}/{tag}/{i + 1}", "--peers", peers,
                               "--listen", f"127.0.0.1:{ports[3 + i]}", "--snapshot-every", "10000"] + extra,
                              stdout=subprocess.DEVNULL) for i in range(3)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for port in ports[3:]:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                if ask(s.makefile(), s, "PUT warm up") == "OK":
                    return procs, port
            except OSError:
                pass
        time.sleep(0.1)
    raise SystemExit("no leader")

def syncs(port):
    s = socket.create_connection(("127.0.0.1", port))
    return int(ask(s.makefile(), s, "STATS").split("syncs=")[1])

def load(port, n, seconds):
    latencies, lock = [], threading.Lock()
    stop = time.monotonic() + seconds
    def client(c):
        s = socket.create_connection(("127.0.0.1", port))
        f, mine, i = s.makefile(), [], 0
        while time.monotonic() < stop:
            i += 1
            t = time.monotonic()
            if ask(f, s, f"PUT k{c}-{i % 100} v{i}") == "OK":
                mine.append(time.monotonic() - t)
        with lock: latencies.extend(mine)
    threads = [threading.Thread(target=client, args=(c,)) for c in range(n)]
    for t in threads: t.start()
    for t in threads: t.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    return len(latencies) / seconds, pick(0.5), pick(0.99)

os.makedirs(root, exist_ok=True)
print(f"raw fsync rate of this disk: {fsync_rate(f'{root}/fsync-probe'):,.0f} fsyncs/s (512-byte appends)")
print(f"{'batching':>9} {'clients':>7} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'syncs/op':>9}")
for tag, extra in (("on", []), ("off", ["--no-batching"])):
    for n in clients:
        procs, port = start_cluster(f"{tag}-{n}", extra)
        try:
            before = syncs(port)
            ops, p50, p99 = load(port, n, seconds)
            per_op = (syncs(port) - before) / (ops * seconds)
            print(f"{tag:>9} {n:>7} {ops:>9,.0f} {p50:>8.2f} {p99:>8.2f} {per_op:>9.2f}")
        finally:
            for p in procs: p.kill(); p.wait()
PY
