#!/usr/bin/env bash
# run.sh [BERTH]: the cgroup v2 lane. This host's cgroups are v1 (hybrid),
# so the v2 code is tested in the throwaway qemu VM of tests/vm/run-in-vm.sh,
# whose kernel mounts a pure cgroup2 hierarchy with every controller. In one
# boot, as root in the guest:
#   1. the fs2 driver's kernel tests (TestKernel*, go test -c) against
#      /sys/fs/cgroup;
#   2. berth end to end: tests/cgroupv2/*.bats (busybox containers, with
#      tests/integration/helpers.bash), using the host's bash, bats, jq and
#      GNU timeout, which the guest's busybox lacks.
# BERTH is the binary to test (default: REPO/berth, built if missing).
# CGV2_FILTER=REGEX runs only the bats tests whose names match (bats -f).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm=$repo/tests/vm/run-in-vm.sh
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
berth=${1:-$repo/berth}
[ -x "$berth" ] || make -C "$repo" berth GO="$GO" >&2
for t in bash bats jq timeout; do
	command -v "$t" >/dev/null || { echo "cgroupv2: $t is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The guest's /files: tools, bats, and the part of the repository the
# tests use, laid out as in the repository.
mkdir -p "$work/bin" "$work/repo/tests/integration" "$work/repo/tests/cgroupv2" "$work/repo/scripts"
cp "$(command -v bash)" "$(command -v jq)" "$(command -v timeout)" "$work/bin/"
bats_root=$(readlink -f "$(command -v bats)") && bats_root=${bats_root%/*/*}
mkdir -p "$work/bats/bin" "$work/bats/lib" "$work/bats/libexec"
cp "$bats_root/bin/bats" "$work/bats/bin/"
cp -r "$bats_root/lib/bats-core" "$work/bats/lib/"
cp -r "$bats_root/libexec/bats-core" "$work/bats/libexec/"
cp "$berth" "$work/repo/berth"
cp "$repo/tests/integration/helpers.bash" "$work/repo/tests/integration/"
cp "$repo"/tests/cgroupv2/*.bats "$work/repo/tests/cgroupv2/"
cp "$repo/scripts/mkrootfs.sh" "$work/repo/scripts/"
# Static, so that the guest needs no libraries for it.
(cd "$repo" && CGO_ENABLED=0 "$GO" test -c -o "$work/fs2.test" ./cgroups/fs2)

printf '%s' "${CGV2_FILTER:-}" >"$work/filter"

cat >"$work/test.sh" <<'GUEST'
set -u
echo "guest: kernel $(uname -r); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
rc=0
BERTH_CGROUP2=/sys/fs/cgroup ./fs2.test -test.v -test.count=1 -test.run 'Kernel' >fs2.out 2>&1 || rc=1
cat fs2.out
if grep -q -- '--- SKIP' fs2.out; then
	echo "cgroupv2: a kernel test was skipped in the VM, where all must run"
	rc=1
fi
export PATH=/files/bin:/files/bats/bin:$PATH
filter=$(cat filter)
(cd /files/repo && bats ${filter:+-f "$filter"} tests/cgroupv2) >bats.out 2>&1 || rc=1
cat bats.out
if grep -q '# skip' bats.out; then
	echo "cgroupv2: a bats test was skipped in the VM, where all must run"
	rc=1
fi
exit $rc
GUEST
# loop: block devices for the io.max and device tests.
"$vm" --modules loop --files "$work" -- sh test.sh
