#!/usr/bin/env bash
# Rootless berth on a pure cgroup v2 host, in a throwaway VM (run-in-vm.sh of the
# cgroup v2 VM lane): an unprivileged user with a delegated cgroup subtree (owned by it,
# controllers enabled, its own processes in a leaf, as systemd's user@.service) runs
# containers in cgroups under it; a cgroup outside it is skipped with a warning.
#
# usage (as root): tests/vm/rootless-cgroup2.sh [BERTH]
#   RUN_IN_VM: path of run-in-vm.sh (default: ../shared/vm/run-in-vm.sh next to the repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
berth=${1:-$repo/berth}
vm=${RUN_IN_VM:-$repo/../shared/vm/run-in-vm.sh}
[ -x "$vm" ] || { echo "rootless-cgroup2: no run-in-vm.sh at $vm (set RUN_IN_VM)" >&2; exit 2; }
[ -x "$berth" ] || { echo "rootless-cgroup2: $berth is not executable" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$berth" "$dir/berth"
cp /bin/busybox "$dir/busybox"
cp "$here/rootless-cgroup2-guest.sh" "$dir/guest.sh"
"$vm" --files "$dir" -- sh /files/guest.sh
