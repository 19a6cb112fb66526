#!/usr/bin/env bash
# systemd-selftest.sh: boot the systemd guest (systemd-guest.sh) and check
# that it can host tests of a systemd cgroup driver: PID 1 is systemd and boot
# finished; /sys/fs/cgroup is a pure cgroup2 with the controllers; systemd
# answers on D-Bus; berthuser's lingering systemd instance runs with a delegated
# cgroup; and runc (Debian's, or RUNC) runs containers under --systemd-cgroup, as root
# (a scope under system.slice, its limits set through systemd) and as
# berthuser (a scope of the user's instance). Then, on the host: the guest's
# file came back through /files, and a second boot sent to emergency mode
# ends with 125, saying so. Exit status 0 when all pass.
# usage (as root): [RUNC=PATH] tests/vm/systemd-selftest.sh [systemd-guest.sh options]
# RUNC names a runc binary of the host to use instead of Debian's (e.g. the
# project's runc 1.5.3 oracle; it may link libseccomp and libc dynamically).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
[ -z "${RUNC:-}" ] || cp "$RUNC" "$dir/runc"

cat >"$dir/selftest.sh" <<'GUEST'
set -u
passes=0 fails=0
check() { # description command...
	local d=$1
	shift
	if "$@"; then echo "PASS: $d" && passes=$((passes + 1)); else echo "FAIL: $d" && fails=$((fails + 1)); fi
}
as_user() { runuser -u berthuser -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus "$@"; }

echo "--- boot"
echo "PID 1: $(readlink /proc/1/exe); kernel $(uname -r); cmdline: $(cat /proc/cmdline)"
check "PID 1 is systemd" [ "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd ]
check "multi-user.target is active when the command starts" systemctl -q is-active multi-user.target
state=$(systemctl is-system-running --wait)
echo "is-system-running --wait: $state"
[ "$state" = running ] || systemctl --failed --no-pager
check "the system is running (or degraded)" [ "$state" = running -o "$state" = degraded ]
check "the command runs in vm-command.service" grep -qx '0::/system.slice/vm-command.service' /proc/self/cgroup
check "cwd is /files" [ "$PWD" = /files ]
systemd-analyze 2>/dev/null | head -1

echo "--- cgroup v2"
fs=$(stat -fc %T /sys/fs/cgroup)
ctrl=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "/sys/fs/cgroup: $fs; controllers: $ctrl"
check "/sys/fs/cgroup is cgroup2" [ "$fs" = cgroup2fs ]
check "no cgroup v1 hierarchy is mounted" [ -z "$(awk '$3 == "cgroup"' /proc/mounts)" ]
for c in cpu cpuset io memory pids hugetlb; do
	check "controller $c available" grep -qw $c /sys/fs/cgroup/cgroup.controllers
done
check "systemd enabled memory and pids in the root's subtree" \
	sh -c 'grep -qw memory /sys/fs/cgroup/cgroup.subtree_control && grep -qw pids /sys/fs/cgroup/cgroup.subtree_control'

echo "--- D-Bus"
v=$(busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager Version)
echo "systemd over D-Bus: Version $v"
check "busctl reads the manager's Version" [ -n "$v" ]
check "dbus.service is active" systemctl -q is-active dbus.service

echo "--- berthuser's systemd instance (lingering)"
check "berthuser is uid 1000" [ "$(id -u berthuser)" = 1000 ]
check "lingering is on" [ -e /var/lib/systemd/linger/berthuser ]
check "user@1000.service is active" systemctl -q is-active user@1000.service
ustate=$(as_user systemctl --user is-system-running)
echo "berthuser's manager: $ustate"
check "the user's manager runs" [ "$ustate" = running -o "$ustate" = degraded ]
ucg=/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service
echo "delegated to berthuser: $(cat $ucg/cgroup.controllers)"
check "user@1000.service is delegated to berthuser" [ "$(stat -c %u $ucg)" = 1000 ]
check "memory and pids are delegated" sh -c "grep -qw memory $ucg/cgroup.controllers && grep -qw pids $ucg/cgroup.controllers"
check "berthuser has subordinate ids" grep -q '^berthuser:' /etc/subuid

echo "--- runc --systemd-cgroup, as root"
runc=/usr/sbin/runc
if [ -e runc ]; then # the host's, where berthuser can run it too
	install -m 755 runc /usr/local/bin/runc && runc=/usr/local/bin/runc
fi
runc() { "$runc" "$@"; }
echo "$runc: $(runc --version | head -1)"
bundle() { # dir: a busybox bundle made by runc spec (ARGS: sleep 600)
	mkdir -p "$1/rootfs/bin"
	cp /bin/busybox "$1/rootfs/bin/"
	for a in sh sleep cat; do ln -s busybox "$1/rootfs/bin/$a"; done
}
b=/tmp/c1
bundle $b
(cd $b && runc spec)
jq '.process.args = ["sleep", "600"] | .process.terminal = false
	| .linux.cgroupsPath = "system.slice:berth-selftest:c1"
	| .linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 42}' \
	$b/config.json >$b/c.json && mv $b/c.json $b/config.json
check "runc --systemd-cgroup run -d c1" sh -c "cd /tmp/c1 && $runc --systemd-cgroup run -d c1 </dev/null >/dev/null"
pid=$(runc state c1 | jq .pid)
cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
echo "c1: pid $pid in $cg; unit: $(systemctl show -p Id,ActiveState,MemoryMax,TasksMax berth-selftest-c1.scope | paste -sd' ')"
check "c1 is in its scope under system.slice" [ "$cg" = /system.slice/berth-selftest-c1.scope ]
check "systemd knows the scope, active" systemctl -q is-active berth-selftest-c1.scope
check "MemoryMax set through systemd" [ "$(systemctl show -P MemoryMax berth-selftest-c1.scope)" = 67108864 ]
check "memory.max in the cgroup" [ "$(cat /sys/fs/cgroup$cg/memory.max)" = 67108864 ]
check "pids.max in the cgroup" [ "$(cat /sys/fs/cgroup$cg/pids.max)" = 42 ]
check "runc delete -f c1" runc delete -f c1
check "the scope is gone after delete" sh -c '! systemctl -q is-active berth-selftest-c1.scope'
check "its cgroup is gone" [ ! -e /sys/fs/cgroup$cg ]

echo "--- runc --systemd-cgroup, as berthuser (the user's instance)"
b=/tmp/c2
mkdir -p $b && chown berthuser: $b
as_user sh -c "cd $b && mkdir -p rootfs/bin && cp /bin/busybox rootfs/bin/ && ln -s busybox rootfs/bin/sh && ln -s busybox rootfs/bin/sleep && $runc spec --rootless"
jq '.process.args = ["sleep", "600"] | .process.terminal = false
	| .linux.cgroupsPath = "user.slice:berth-selftest:c2" | .linux.resources.pids = {limit: 42}' \
	$b/config.json >$b/c.json && mv $b/c.json $b/config.json && chown berthuser: $b/config.json
check "rootless runc --systemd-cgroup run -d c2" as_user sh -c "cd $b && $runc --systemd-cgroup run -d c2 </dev/null >/dev/null"
pid=$(as_user $runc state c2 | jq .pid)
cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
echo "c2: pid $pid (uid $(stat -c %u /proc/$pid)) in $cg"
check "c2 is in a scope of berthuser's manager" [ "$cg" = /user.slice/user-1000.slice/user@1000.service/user.slice/berth-selftest-c2.scope ]
check "pids.max in c2's cgroup" [ "$(cat /sys/fs/cgroup$cg/pids.max)" = 42 ]
check "rootless runc delete -f c2" as_user $runc delete -f c2
check "c2's cgroup is gone" [ ! -e /sys/fs/cgroup$cg ]

echo "$passes $fails" >counts # for the host, through /files
echo "systemd-selftest: in the guest: $passes passed, $fails failed"
[ "$fails" = 0 ]
GUEST
rc=0
"$here/systemd-guest.sh" "$@" --files "$dir" -- bash selftest.sh || rc=$?
read -r passes fails <"$dir/counts" || { echo "FAIL: no counts in /files from the guest"; exit 1; }
echo "PASS: the guest's file reached the host through /files"
passes=$((passes + 1))
[ "$rc" = 0 ] || [ "$fails" != 0 ] || { echo "FAIL: exit status $rc, not 0, though all passed"; fails=$((fails + 1)); }

# A boot that fails ends the run with 125, saying why: here, one sent to
# emergency mode.
rc=0
VM_APPEND="${VM_APPEND:-} systemd.unit=emergency.target" "$here/systemd-guest.sh" "$@" -- true \
	>"$dir/emergency.out" 2>&1 || rc=$?
if [ $rc = 125 ] && grep -q 'VM_FAILED: boot reached emergency mode' "$dir/emergency.out"; then
	echo "PASS: a boot to emergency mode exits 125, saying so" && passes=$((passes + 1))
else
	echo "FAIL: a boot to emergency mode exited $rc:" && tail -n 20 "$dir/emergency.out" && fails=$((fails + 1))
fi
echo "systemd-selftest: $passes passed, $fails failed"
[ "$fails" = 0 ]
