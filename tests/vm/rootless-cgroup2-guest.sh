# shellcheck shell=dash disable=SC2086 # busybox sh; its paths and ids, set here, are one word each
# Guest side of rootless-cgroup2.sh (busybox sh, as root in the VM; /files is shared).
set -u
passes=0 fails=0
check() { # description command...
	d=$1 && shift
	if "$@"; then echo "PASS: $d" && passes=$((passes + 1)); else echo "FAIL: $d" && fails=$((fails + 1)); fi
}
U=1000
cg=/sys/fs/cgroup

# the user, its runtime dir, the berth binary where it can run it
echo "rl:x:$U:$U::/tmp:/bin/sh" >>/etc/passwd
echo "rl:x:$U:" >>/etc/group
mkdir -p /tmp/xdg /tmp/bin && chown $U:$U /tmp/xdg && chmod 700 /tmp/xdg
cp /files/berth /tmp/bin/berth && chmod 755 /tmp/bin/berth

# delegation, as systemd does it: /deleg owned by the user with controllers enabled for
# its children; the user's own processes in the leaf /deleg/session
mkdir $cg/deleg $cg/deleg/session
echo "+memory +pids +cpu" >$cg/deleg/cgroup.subtree_control
chown $U:$U $cg/deleg $cg/deleg/cgroup.procs $cg/deleg/cgroup.subtree_control $cg/deleg/cgroup.threads
chown -R $U:$U $cg/deleg/session
echo $$ >$cg/deleg/session/cgroup.procs

# a bundle of the user's
bundle() { # dir cgroupsPath resources-json
	b=$1
	mkdir -p $b/rootfs/bin $b/rootfs/proc $b/rootfs/sys $b/rootfs/dev $b/rootfs/tmp
	cp /files/busybox $b/rootfs/bin/
	for a in sh sleep cat echo; do ln -sf busybox $b/rootfs/bin/$a; done
	cat >$b/config.json <<JSON
{ "ociVersion": "1.0.2",
  "process": { "terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "600"], "cwd": "/",
    "env": ["PATH=/bin"], "noNewPrivileges": true },
  "root": {"path": "rootfs"},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}],
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": $U, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": $U, "size": 1}],
    "cgroupsPath": "$2",
    "namespaces": [{"type": "user"}, {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
    "resources": $3 } }
JSON
	chown -R $U:$U $b
}
limits='{"memory": {"limit": 67108864}, "pids": {"limit": 32}}'
bundle /tmp/c1 /deleg/c1 null
bundle /tmp/c2 /c2 "$limits"
bundle /tmp/c3 /deleg/c3 "$limits"

as_user() { su -s /bin/sh rl -c "export XDG_RUNTIME_DIR=/tmp/xdg PATH=/tmp/bin:/bin:/sbin:/usr/bin; $*"; }

echo "--- a cgroup in the delegated subtree"
as_user 'cd /tmp/c1 && berth run -d c1 </dev/null >/tmp/c1.out 2>/tmp/c1.err'
check "run -d c1 (as uid $U)" [ $? = 0 ]
cat /tmp/c1.err
check "no warning for c1" [ ! -s /tmp/c1.err ]
pid=$(as_user 'berth state c1' | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
echo "c1: pid $pid, $(cat /proc/$pid/cgroup)"
check "c1 is in /deleg/c1" [ "$(cat /proc/$pid/cgroup)" = "0::/deleg/c1" ]
check "c1 runs as uid $U on the host" [ "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)" = $U ]
check "the cgroup is the user's" [ "$(stat -c %u $cg/deleg/c1)" = $U ]
check "ps lists init" [ "$(as_user 'berth ps --format json c1')" = "[$pid]" ]
as_user 'berth pause c1'
check "pause: cgroup.freeze is 1" [ "$(cat $cg/deleg/c1/cgroup.freeze)" = 1 ]
check "pause: status paused" as_user 'berth state c1 | grep -q "\"status\": \"paused\""'
as_user 'berth resume c1'
check "resume: cgroup.freeze is 0" [ "$(cat $cg/deleg/c1/cgroup.freeze)" = 0 ]
as_user 'berth delete --force c1'
check "delete --force: the cgroup is gone" [ ! -e $cg/deleg/c1 ]
check "delete --force: init is gone" [ ! -e /proc/$pid ]

echo "--- a cgroup outside it"
as_user 'cd /tmp/c2 && berth run -d c2 </dev/null >/tmp/c2.out 2>/tmp/c2.err'
check "run -d c2 (as uid $U)" [ $? = 0 ]
cat /tmp/c2.err
check "a warning that the limits are not applied" grep -q "rootless: .*permission denied.*without its resource limits" /tmp/c2.err
pid=$(as_user 'berth state c2' | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
check "c2 runs in the caller's cgroup" [ "$(cat /proc/$pid/cgroup)" = "0::/deleg/session" ]
check "no /c2 cgroup" [ ! -e $cg/c2 ]
as_user 'berth delete --force c2'
check "delete --force c2" [ ! -e /proc/$pid ]

echo "--- resource limits in the delegated subtree"
as_user 'cd /tmp/c3 && berth run -d c3 </dev/null >/tmp/c3.out 2>/tmp/c3.err'
check "run -d c3 (as uid $U)" [ $? = 0 ]
cat /tmp/c3.err
echo "memory.max=$(cat $cg/deleg/c3/memory.max) pids.max=$(cat $cg/deleg/c3/pids.max)"
check "memory.max is 64 MiB" [ "$(cat $cg/deleg/c3/memory.max)" = 67108864 ]
check "pids.max is 32" [ "$(cat $cg/deleg/c3/pids.max)" = 32 ]
as_user 'berth delete --force c3'
check "delete --force: the cgroup is gone" [ ! -e $cg/deleg/c3 ]

echo "passes=$passes fails=$fails"
[ $fails = 0 ]
