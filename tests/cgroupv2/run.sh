#!/usr/bin/env bash
# run.sh: the cgroup v2 lane. This host's cgroups are v1 (hybrid), so the
# v2 code is tested in the throwaway qemu VM of ../shared/vm, whose kernel
# mounts a pure cgroup2 hierarchy with every controller: the fs2 driver's
# kernel tests (TestKernel*, built with go test -c) run there as root
# against /sys/fs/cgroup.
#
# The VM runner lives outside the repository, next to it
# (REPO/../shared/vm/run-in-vm.sh); CGV2_VM names another. Without one
# the lane is skipped with the reason, exit 0, unless CGV2_REQUIRED=1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm=${CGV2_VM:-$repo/../shared/vm/run-in-vm.sh}
if [ ! -x "$vm" ]; then
	echo "cgroupv2: SKIP: no VM runner at $vm (set CGV2_VM to shared/vm/run-in-vm.sh)"
	[ "${CGV2_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
fi
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Static, so that the guest needs no libraries for it.
(cd "$repo" && CGO_ENABLED=0 "$GO" test -c -o "$work/fs2.test" ./cgroups/fs2)

cat >"$work/test.sh" <<'GUEST'
set -u
echo "guest: kernel $(uname -r); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
BERTH_CGROUP2=/sys/fs/cgroup ./fs2.test -test.v -test.count=1 -test.run 'Kernel' >fs2.out 2>&1
rc=$?
cat fs2.out
if grep -q -- '--- SKIP' fs2.out; then
	echo "cgroupv2: a kernel test was skipped in the VM, where all must run"
	rc=1
fi
exit $rc
GUEST
# loop: block devices for the io.max test.
"$vm" --modules loop --files "$work" -- sh test.sh
