#!/usr/bin/env python3
"""Lists every code region of RaftCore (Sources/RaftCore) that a coverage run never reached, one line per source
line: file, line, the number of unreached regions on it, and the line's text.

Usage: bench/unreached.py EXPORT.json   (the output of `llvm-cov export`, as coverage.sh writes it)
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: unreached.py EXPORT.json")
    with open(sys.argv[1]) as f:
        export = json.load(f)
    # A region of a generic function appears once per specialization: it counts as reached
    # if any specialization reached it, as `llvm-cov report` counts it.
    counts = {}
    for function in export["data"][0]["functions"]:
        files = function["filenames"]
        for region in function["regions"]:
            start_line, start_col, end_line, end_col, count, file_id, _, kind = region[:8]
            # kind 0: a code region (the others are expansions, skips and gaps).
            if kind == 0 and "/Sources/RaftCore/" in files[file_id]:
                key = (files[file_id], start_line, start_col, end_line, end_col)
                counts[key] = max(counts.get(key, 0), count)
    lines = {}  # (file, line) -> unreached regions starting there
    for (path, line, _, _, _), count in counts.items():
        if count == 0:
            lines[(path, line)] = lines.get((path, line), 0) + 1
    sources = {}
    for (path, line), regions in sorted(lines.items()):
        if path not in sources:
            with open(path) as f:
                sources[path] = f.read().split("\n")
        text = sources[path][line - 1].strip()
        print(f"{os.path.basename(path)}:{line}\t{regions}\t{text}")


if __name__ == "__main__":
    main()
