#!/usr/bin/env bash
# Run every client test (containerd via ctr, containerd's CRI, Docker,
# Podman, rootless Podman as the user berthtest) against the runtime under test, one after the other (each starts
# and stops its own daemon), and print one closing tally.
#
# usage: tests/clients/run.sh [RUNTIME]   (default: $RUNTIME, $BERTH, or the repo's ./berth)
#        CLIENTS="docker podman" tests/clients/run.sh   runs only those
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] && export RUNTIME=$1
passed=0
failed=0
failed_suites=""
for suite in ${CLIENTS:-containerd cri docker podman podman_rootless}; do
	log=$(mktemp)
	start=$SECONDS
	bash "$dir/$suite.sh" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	# Each script's last line is "SUITE: N passed, N failed".
	read -r p f < <(tail -n 1 "$log" | sed -n 's/^[a-z_]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	rm -f "$log"
	if [ -z "${p:-}" ]; then
		p=0
		f=1 # it died before its tally: count it as one failure
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$status" = 0 ] || failed_suites+=" $suite"
	echo "# $suite: $((SECONDS - start))s, exit status $status"
done
[ -z "$failed_suites" ] || echo "# failed:$failed_suites"
echo "clients: $passed passed, $failed failed"
[ -z "$failed_suites" ]
