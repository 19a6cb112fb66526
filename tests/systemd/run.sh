#!/usr/bin/env bash
# run.sh [BERTH]: the systemd lane. This host does not run systemd, so the
# systemd cgroup driver is tested in a throwaway Debian 12 guest whose PID 1 is
# systemd on a pure cgroup v2 hierarchy (tests/vm/systemd-guest.sh). In one boot:
#   1. every other tests/systemd/*.bats as root (the system manager): the
#      cgroup driver (systemd.bats), notify and socket activation (notify.bats),
#      checkpoint/restore with the guest's criu (checkpoint.bats), and the
#      clients in their systemd configuration (clients-*.bats: containerd's
#      CRI, Podman, Docker), each file starting its daemon once;
#   2. tests/systemd/rootless.bats as berthuser (uid 1000, lingering: its own
#      systemd instance runs) with --systemd-cgroup going to that instance;
# each against BERTH and, where it is at hand, against runc 1.5.3 (the oracle):
# every scenario must pass with both. Ends with a line "N passed, N failed"; a
# test skipped in the guest, where all must run, counts as failed (but for a
# skip_if_runc skip against runc, which names runc's shortcoming).
#
# Environment:
#   SYSTEMD_VM      the guest runner (default REPO/tests/vm/systemd-guest.sh);
#                   without it the lane is skipped, saying why (exit 0), unless
#                   SYSTEMD_REQUIRED=1
#   SYSTEMD_RUNC    the runc to compare with (default: runc 1.5.3, which
#                   scripts/runc-oracle.sh builds once into .cache); "none" runs
#                   berth only
#   SYSTEMD_FILTER  REGEX: only the tests whose names match (bats -f)
#   SYSTEMD_TIMEOUT seconds before the guest is stopped (default 3600: under TCG,
#                   without KVM, a test takes about a minute)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm=${SYSTEMD_VM:-$repo/tests/vm/systemd-guest.sh}
if [ ! -x "$vm" ]; then
	echo "systemd: SKIP: no systemd guest runner at $vm (set SYSTEMD_VM)"
	[ "${SYSTEMD_REQUIRED:-0}" = 1 ] && exit 1
	exit 0
fi
berth=${1:-$repo/berth}
[ -x "$berth" ] || make -C "$repo" berth >&2
runc=${SYSTEMD_RUNC:-}
if [ -z "$runc" ]; then
	runc=$("$repo/scripts/runc-oracle.sh") || runc=missing
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The guest's /files: the part of the repository the tests use, laid out as in it.
mkdir -p "$work/repo/tests/integration" "$work/repo/tests/systemd" "$work/repo/scripts" "$work/rt"
cp "$berth" "$work/rt/berth"
runtimes=berth
if [ "$runc" != none ]; then
	if [ -x "$runc" ]; then
		cp "$runc" "$work/rt/runc"
		runtimes="berth runc"
	else
		echo "systemd: no runc 1.5.3 ($runc; scripts/runc-oracle.sh builds it): berth only"
	fi
fi
cp "$repo/tests/integration/helpers.bash" "$work/repo/tests/integration/"
cp "$repo"/tests/systemd/*.bats "$repo"/tests/systemd/*.bash "$work/repo/tests/systemd/"
# The clients-*.bats files' containerd 2.4, crictl and images, made on the host.
"$repo/tests/systemd/clients-files.sh" "$work/clients" >&2 ||
	echo "systemd: tests/systemd/clients-files.sh failed: the clients-*.bats tests will fail"
cp "$repo/scripts/mkrootfs.sh" "$work/repo/scripts/"
printf '%s' "${SYSTEMD_FILTER:-}" >"$work/filter"
echo "$runtimes" >"$work/runtimes"

cat >"$work/test.sh" <<'GUEST'
set -u
echo "guest: $(uname -r), systemd $(systemctl show -P Version), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
# Off 9p, readable by berthuser.
rm -rf /tmp/sd && mkdir -p /tmp/sd && cp -a /files/repo /files/rt /tmp/sd/ && chmod -R a+rX /tmp/sd
# The clients' binaries and images on the guest's disk, not in its memory (/tmp).
[ ! -d /files/clients ] || cp -a /files/clients /opt/berth-clients
user=berthuser uid=$(id -u berthuser)
for _ in $(seq 300); do
	[ "$(systemctl is-active "user@$uid.service")" = active ] && break
	sleep 0.1
done
echo "guest: user@$uid.service is $(systemctl is-active "user@$uid.service")"
filter=$(cat filter)
: >results
for rt in $(cat runtimes); do
	bin=/tmp/sd/rt/$rt
	root_files=$(cd /tmp/sd/repo && ls tests/systemd/*.bats | grep -v '/rootless.bats$')
	echo "=== $rt ($("$bin" --version | head -1)) as root:" $root_files
	# shellcheck disable=SC2086 # one word a file
	(cd /tmp/sd/repo && BERTH=$bin bats --tap ${filter:+-f "$filter"} $root_files) 2>&1 | tee -a results
	echo "=== $rt as $user: tests/systemd/rootless.bats"
	(cd /tmp/sd/repo && setpriv --reuid="$uid" --regid="$uid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="/home/$user" USER="$user" \
		XDG_RUNTIME_DIR="/run/user/$uid" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" \
		BERTH="$bin" bats --tap ${filter:+-f "$filter"} tests/systemd/rootless.bats) 2>&1 | tee -a results
done
GUEST

rc=0
"$vm" --files "$work" --timeout "${SYSTEMD_TIMEOUT:-3600}" -- bash test.sh || rc=$?
count() { grep -cE "$1" "$work/results" 2>/dev/null || true; }
passed=$(count '^ok [0-9]+ ')
# A skip_if_runc skip ("# skip runc: why") marks a documented runc
# shortcoming, not a test that could not run; any other skip counts as failed.
runc_skipped=$(count '^ok [0-9]+ .*# skip runc: ')
skipped=$(count '^ok [0-9]+ .*# skip')
skipped=$((${skipped:-0} - ${runc_skipped:-0}))
failed=$(count '^not ok [0-9]+ ')
passed=$((${passed:-0} - skipped - ${runc_skipped:-0}))
if [ "${runc_skipped:-0}" -gt 0 ]; then
	echo "systemd: $runc_skipped test(s) skipped against runc for a shortcoming of runc's:"
	grep -E '^ok [0-9]+ .*# skip runc: ' "$work/results"
fi
if [ "$skipped" -gt 0 ]; then
	echo "systemd: $skipped test(s) skipped in the guest, where all must run:"
	grep -E '^ok [0-9]+ .*# skip' "$work/results" | grep -v '# skip runc: '
fi
failed=$((${failed:-0} + ${skipped:-0}))
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
	echo "systemd: the guest failed (exit $rc)"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
