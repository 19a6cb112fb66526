#!/usr/bin/env bash
# Rootless berth on a pure cgroup v2 host, in a throwaway VM (run-in-vm.sh of the
# cgroup v2 VM lane): an unprivileged user with a delegated cgroup subtree (owned by it,
# controllers enabled, its own processes in a leaf, as systemd's user@.service) runs
# containers in cgroups under it; a cgroup outside it is skipped with a warning.
#
# usage (as root): tests/vm/rootless-cgroup2.sh [BERTH]
# The VM runner lives outside the repository, next to it
# (REPO/../shared/vm/run-in-vm.sh); CGV2_VM names another. Without one the test is
# skipped with the reason, exit 0, unless CGV2_REQUIRED=1 (as tests/cgroupv2/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
berth=${1:-$repo/berth}
vm=${CGV2_VM:-$repo/../shared/vm/run-in-vm.sh}
if [ ! -x "$vm" ]; then
	echo "rootless-cgroup2: SKIP: no VM runner at $vm (set CGV2_VM to shared/vm/run-in-vm.sh)"
	[ "${CGV2_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
fi
[ -x "$berth" ] || { echo "rootless-cgroup2: $berth is not executable" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$berth" "$dir/berth"
cp /bin/busybox "$dir/busybox"
cp "$here/rootless-cgroup2-guest.sh" "$dir/guest.sh"
"$vm" --files "$dir" -- sh /files/guest.sh
