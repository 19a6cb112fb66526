#!/usr/bin/env bash
# Rootless berth on a pure cgroup v2 host, in a throwaway VM (tests/vm/run-in-vm.sh,
# the busybox guest): an unprivileged user with a delegated cgroup subtree (owned by
# it, controllers enabled, its own processes in a leaf, as systemd's user@.service)
# runs containers in cgroups under it; a cgroup outside it is skipped with a warning.
#
# usage (as root): tests/vm/rootless-cgroup2.sh [BERTH]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
berth=${1:-$repo/berth}
vm=$here/run-in-vm.sh
[ -x "$berth" ] || { echo "rootless-cgroup2: $berth is not executable" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$vm" --setup # caches the guest's busybox too, which the containers get
cp "$berth" "$dir/berth"
cp "${VM_CACHE:-$repo/.cache/vm}/busybox" "$dir/busybox"
cp "$here/rootless-cgroup2-guest.sh" "$dir/guest.sh"
"$vm" --files "$dir" -- sh /files/guest.sh
