#!/bin/sh
# bench/run.sh: berth side by side with runc, crun and floor.c, interleaved;
# writes bench/results/latest.md, samples.csv and run-latency.png.
# Run as root from anywhere; see bench/README.md for what it measures and the
# settings (N, TP_SECONDS, MEM_SAMPLES, BERTH, ...).
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
if [ "$(id -u)" != 0 ]; then
	echo "bench: must run as root (containers, cgroups, a private mount namespace)" >&2
	exit 1
fi

# Debian packages: berth's build deps, then the contenders and the tools.
./scripts/deps.sh
need=""
for p in runc crun gcc libc6-dev busybox-static util-linux git python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "bench: installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
work=$(mktemp -d /tmp/berth-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The harness gets the same SIGINT/SIGTERM, removes its containers and
# cgroups, and exits; then this shell exits too.
trap 'exit 130' INT TERM HUP

if [ -z "${BERTH:-}" ]; then
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	CGO_ENABLED=1 "$GO" build -trimpath -ldflags "-s -w -X main.version=0.1.0 -X main.commit=$commit" -o "$work/berth" .
	BERTH=$work/berth
fi
"$GO" build -trimpath -o "$work/berthbench" ./bench/cmd/berthbench

# The exact command, with the settings given, for the report.
cmd=""
for v in N WARMUP TP_SECONDS TP_WORKERS TP_ROUNDS MEM_SAMPLES MEM_CONFIRM MEM_MAX_KIB MEM_STEP_KIB RUNTIMES KEEP_UNIFIED; do
	eval "val=\${$v:-}"
	[ -z "$val" ] || cmd="$cmd$v=$val "
done
BENCH_COMMAND="${cmd}${BENCH_COMMAND:-bench/run.sh}"
OUT=${OUT:-$repo/bench/results}
export BERTH BENCH_COMMAND OUT REPO="$repo"

start=$(date +%s)
"$work/berthbench"
/usr/bin/python3 bench/plot.py "$OUT/samples.csv" "$OUT/run-latency.png"
echo "bench: done in $(($(date +%s) - start)) s: $OUT/latest.md, $OUT/run-latency.png" >&2
