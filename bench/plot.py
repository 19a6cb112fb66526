#!/usr/bin/python3
"""Plot the `run` latency distributions from bench/results/samples.csv.

usage: plot.py SAMPLES.csv OUT.png
Left: box plot per runtime (whiskers 5th-95th percentile); right: CDF.
Needs matplotlib (Debian: python3-matplotlib).
"""
import csv
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["berth", "runc", "crun", "floor"]
COLORS = {"berth": "#1f77b4", "runc": "#d62728", "crun": "#2ca02c", "floor": "#7f7f7f"}


def main(src, out):
    data = {}
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            if row["metric"] == "run":
                data.setdefault(row["runtime"], []).append(float(row["ms"]))
    names = [n for n in ORDER if n in data] + sorted(n for n in data if n not in ORDER)
    if not names:
        sys.exit("plot.py: no `run` samples in " + src)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    bp = ax1.boxplot([data[n] for n in names], labels=names, whis=(5, 95), showfliers=True,
                     patch_artist=True, medianprops={"color": "black"})
    for patch, n in zip(bp["boxes"], names):
        patch.set_facecolor(COLORS.get(n, "#9467bd"))
        patch.set_alpha(0.6)
    ax1.set_ylabel("ms per `run` of /bin/true")
    ax1.set_ylim(bottom=0)
    ax1.set_title("run latency (box: p25-p75, whiskers: p5-p95)")
    ax1.grid(axis="y", alpha=0.3)
    for n in names:
        xs = sorted(data[n])
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        med = statistics.median(xs)
        ax2.step(xs, ys, where="post", label=f"{n} (p50 {med:.1f} ms)", color=COLORS.get(n))
    ax2.set_xlabel("ms per `run` of /bin/true")
    ax2.set_ylabel("fraction of runs")
    ax2.set_xlim(left=0)
    ax2.set_title(f"CDF, n={min(len(v) for v in data.values())} per runtime")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
