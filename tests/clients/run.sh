#!/usr/bin/env bash
# Run every client test against the runtime under test, one after the other
# (each starts and stops its own daemon), and print one closing tally:
# containerd 1.6 and 2.4 through ctr (containerd, containerd2), their CRI
# through crictl (cri, cri2), a pod with a user namespace (hostUsers: false)
# through containerd 2.4 (cri2_userns), Docker, Podman, and rootless Podman
# as the user berthtest. containerd 2.4 and crictl are built once into the cache
# (build.sh) by the first script that needs them.
#
# usage: tests/clients/run.sh [RUNTIME]   (default: $RUNTIME, $BERTH, or the repo's ./berth)
#        CLIENTS="docker podman" tests/clients/run.sh   runs only those
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] && export RUNTIME=$1
passed=0
failed=0
failed_suites=""
for suite in ${CLIENTS:-containerd containerd2 cri cri2 cri2_userns docker podman podman_rootless}; do
	log=$(mktemp)
	start=$SECONDS
	bash "$dir/$suite.sh" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	# Each script's last line is "SUITE: N passed, N failed".
	read -r p f < <(tail -n 1 "$log" | sed -n 's/^[a-z0-9_]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
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
