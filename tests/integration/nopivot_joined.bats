#!/usr/bin/env bats
# --no-pivot hides every whole procfs and sysfs outside the rootfs from the container's
# mount namespace: with chroot the old root stays in it, and the kernel lets a user
# namespace mount a fresh procfs while a fully visible one exists anywhere in the
# namespace (mount_too_revealing), which would bypass the container's masked paths.
# The mounts to hide are those of the namespace the container runs in, as it is when
# the root is entered: here a JOINED mount namespace with a procfs the host's does not
# have, and a procfs that reaches a new namespace by propagation after create began.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# A user of the container (uid 1000: no capabilities, so that `unshare -r` needs no
# CAP_SETFCAP to map itself) makes a user namespace, then one with a pid namespace and
# a fresh procfs. The first must work (the attack is really tried); the second only
# while a fully visible procfs is in the mount namespace.
nested_procfs_cmd() {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'unshare -Ur true && echo userns-ok
		unshare -Urpf --mount-proc true 2>&1 && echo proc-mounted; true'
}

# start_holder [SCRIPT]: a process in a mount namespace of its own (private propagation:
# nothing of it reaches the host) with an extra procfs at $BATS_TEST_TMPDIR/p, the host's
# /proc and /sys copied, and what SCRIPT (sh, run there first) mounts; HOLDER is its pid.
# Killed in teardown, which takes the namespace.
start_holder() {
	mkdir -p "$BATS_TEST_TMPDIR/p"
	unshare -m --propagation private sh -c "${1:-true}"' && mount -t proc proc "$1" && echo up >"$2" && exec sleep 600' \
		sh "$BATS_TEST_TMPDIR/p" "$BATS_TEST_TMPDIR/holder-up" </dev/null >/dev/null 2>&1 3>&- &
	HOLDER=$!
	track_pid "$HOLDER"
	defer "kill $HOLDER"
	wait_for_file "$BATS_TEST_TMPDIR/holder-up"
	# the namespace holds the extra procfs, the host's does not
	awk -v p="$BATS_TEST_TMPDIR/p" '$5 == p && $9 == "proc"' "/proc/$HOLDER/mountinfo" | grep -q .
	! awk -v p="$BATS_TEST_TMPDIR/p" '$5 == p' /proc/self/mountinfo | grep -q .
}

@test "--no-pivot in a joined mount namespace: its own procfs is hidden, no nested procfs" {
	start_holder
	update_config --arg ns "/proc/$HOLDER/ns/mnt" \
		'.linux.namespaces = [.linux.namespaces[] | if .type == "mount" then .path = $ns else . end]'
	nested_procfs_cmd
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = userns-ok ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *proc-mounted* ]]
	# the joined namespace's extra procfs was taken away (or covered) there, not on the
	# host, whose /proc is untouched (the holder's mountinfo, read through the host's
	# /proc: the namespace's own /proc was hidden too)
	run awk -v p="$BATS_TEST_TMPDIR/p" '$5 == p { t = $9 } END { print t }' "/proc/$HOLDER/mountinfo"
	[ "$status" -eq 0 ]
	[ "$output" != proc ]
	awk '$5 == "/proc" && $9 == "proc"' /proc/self/mountinfo | grep -q .
}

# The cgroup mount's hierarchies are read in the namespace the container runs in too.
@test "--no-pivot in a joined mount namespace: the container runs in it, from its rootfs, with its cgroups" {
	local want
	start_holder
	update_config --arg ns "/proc/$HOLDER/ns/mnt" \
		'.linux.namespaces = [.linux.namespaces[] | if .type == "mount" then .path = $ns else . end]'
	set_cmd 'readlink /proc/1/ns/mnt; test -e /bin/busybox && echo rootfs-ok
		f=/sys/fs/cgroup/pids/cgroup.procs; [ -e $f ] || f=/sys/fs/cgroup/cgroup.procs; grep -x 1 $f && echo own-cgroup
		ls /sys/fs/cgroup'
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink "/proc/$HOLDER/ns/mnt")" ]
	[ "${lines[1]}" = rootfs-ok ]
	[ "${lines[3]}" = own-cgroup ]
	# every hierarchy the namespace has directly under /sys/fs/cgroup is there (none
	# besides the one at /sys/fs/cgroup itself in the unified layout)
	want=$(awk '($9 == "cgroup" || $9 == "cgroup2") && $5 ~ "^/sys/fs/cgroup/[^/]+$" { sub("^/sys/fs/cgroup/", "", $5); print $5 }' "/proc/$HOLDER/mountinfo")
	[ -n "$want" ] || awk '$9 == "cgroup2" && $5 == "/sys/fs/cgroup"' "/proc/$HOLDER/mountinfo" | grep -q .
	for h in $want; do
		[[ " ${lines[*]:4} " == *" $h "* ]] || { echo "missing hierarchy $h"; false; }
	done
}

# A procfs that reaches the container's (new) mount namespace after create compiled its
# plan: a createRuntime hook (run by the runtime on the host between the container's
# mounts and its entering the root) mounts one under a shared mount of the host, which
# propagates into the namespace (its / is a slave by default).
@test "--no-pivot: a procfs propagated in after create began is hidden too" {
	local shared=$BATS_TEST_TMPDIR/shared
	mkdir -p "$shared/p"
	mount --bind "$shared" "$shared"
	defer "umount -l '$shared'"
	mount --make-shared "$shared"
	defer "umount -l '$shared/p'"
	update_config --arg p "$shared/p" \
		'.hooks = {"createRuntime": [{"path": "/bin/mount", "args": ["mount", "-t", "proc", "proc", $p]}]}'
	nested_procfs_cmd
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	# the hook ran: the procfs is on the host
	awk -v p="$shared/p" '$5 == p && $9 == "proc"' /proc/self/mountinfo | grep -q .
	[ "${lines[0]}" = userns-ok ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *proc-mounted* ]]
}

# rootfsPropagation shared: the mount that holds the rootfs's parent is made private
# before the rootfs is bound (the move of --no-pivot, like pivot_root, refuses a shared
# parent). In a joined namespace that is the namespace's mount: here a shared bind of the
# bundle that only the joined namespace has (the host's is its /).
@test "--no-pivot in a joined mount namespace, rootfsPropagation shared: the rootfs's parent there turns private" {
	local mi
	start_holder "mount --bind '$BUNDLE' '$BUNDLE' && mount --make-shared '$BUNDLE'"
	awk -v b="$BUNDLE" '$5 == b && $7 ~ /^shared:/' "/proc/$HOLDER/mountinfo" | grep -q .
	update_config --arg ns "/proc/$HOLDER/ns/mnt" \
		'.linux.namespaces = [.linux.namespaces[] | if .type == "mount" then .path = $ns else . end]
		| .linux.rootfsPropagation = "shared"'
	set_cmd 'test -e /bin/busybox && echo rootfs-ok'
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rootfs-ok ]
	mi=$(awk -v b="$BUNDLE" '$5 == b' "/proc/$HOLDER/mountinfo")
	echo "$mi"
	[ -n "$mi" ]
	[[ "$mi" != *shared:* ]]
}
