#!/usr/bin/env python3
"""Draws distinct states over time from `raftcheck check|fuzz --progress-jsonl` files.

    scripts/plot-progress.py OUT.png RUN.jsonl[=LABEL] ... [--title TITLE] [--log]

Each file becomes one line (labelled LABEL, or the file name). Both kinds of run write
`elapsed_seconds` and `distinct`; a BFS run is complete at its last point, a fuzz campaign
is not, which the legend says ("final" lines mark where a run stopped). Needs matplotlib
(pip install matplotlib, or Debian's python3-matplotlib).
"""
import argparse
import json
import sys


def read(path):
    points = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                points.append((float(record["elapsed_seconds"]), int(record["distinct"]), "runs" in record))
            except (ValueError, KeyError, TypeError) as error:
                sys.exit(f"{path}:{number}: not a progress line ({error})")
    if not points:
        sys.exit(f"{path}: no progress lines")
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the PNG (or SVG, PDF) to write")
    parser.add_argument("runs", nargs="+", help="progress files, each optionally =LABEL")
    parser.add_argument("--title", default="Distinct states over time")
    parser.add_argument("--log", action="store_true", help="a logarithmic y axis")
    args = parser.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is not installed (pip install matplotlib, or apt-get install python3-matplotlib)")

    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=110)
    for run in args.runs:
        path, _, label = run.partition("=")
        points = read(path)
        kind = "fuzz" if points[-1][2] else "BFS"
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        axis.plot(xs, ys, marker="." if len(points) < 40 else None, label=f"{label or f'{path} ({kind})'}: {ys[-1]:,} distinct")
    axis.set_xlabel("seconds")
    axis.set_ylabel("distinct states")
    if args.log:
        axis.set_yscale("log")
    axis.set_title(args.title)
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
