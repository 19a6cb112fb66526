#!/usr/bin/env bats
# root (readonly, rootfsPropagation) and mounts (bind, rbind, ro, rro, tmpfs options,
# proc, sysfs, devpts, mqueue, cgroup), and symlinked destinations.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
	hostdir_mount
}
teardown() { teardown_berth; }

# add_mount JSON: append one mount to config.json
add_mount() {
	update_config --argjson m "$1" '.mounts += [$m]'
}

# $MI defines a shell function for the container: `mi DEST` prints "FSTYPE MOUNT-OPTIONS
# SUPER-OPTIONS" of the mount at DEST, from /proc/self/mountinfo (the top one if stacked).
MI='mi() { awk -v d="$1" "\$5 == d { o = \$6; for (i = 7; i <= NF; i++) if (\$i == \"-\") { t = \$(i+1); s = \$(i+3) }; print t, o, s }" /proc/self/mountinfo | tail -1; }'

@test "root.readonly: true makes / read-only inside, the host's rootfs stays writable" {
	update_config '.root.readonly = true'
	set_cmd "$MI"'; mi /; touch /newfile 2>&1; echo "rc=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	read -r type opts super <<<"${lines[0]}"
	[[ ",$opts," == *,ro,* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[ "${lines[-1]}" = "rc=1" ]
	[ ! -e "$BUNDLE/rootfs/newfile" ]
	touch "$BUNDLE/rootfs/host-can-write"
}

@test "root.readonly: false lets the container write its rootfs" {
	update_config '.root.readonly = false'
	set_cmd "$MI"'; mi /; echo data > /newfile'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	read -r type opts super <<<"${lines[0]}"
	[[ ",$opts," == *,rw,* ]]
	[ "$(cat "$BUNDLE/rootfs/newfile")" = data ]
}

@test "mounts: bind a host directory (read-write, both ways)" {
	echo from-host >"$HOSTDIR/in"
	set_cmd 'cat /host/in; echo from-container > /host/out'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$HOSTDIR/out")" = from-container ]
}

@test "mounts: bind a single file" {
	echo file-content >"$BATS_TEST_TMPDIR/afile"
	add_mount "{\"destination\": \"/etc/afile\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/afile\", \"options\": [\"bind\"]}"
	set_cmd 'cat /etc/afile; [ -f /etc/afile ] && echo is-file'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "file-content
is-file" ]
}

@test "mounts: bind a host directory into a destination that does not exist yet" {
	update_config '.mounts |= map(select(.destination != "/host"))'
	add_mount "{\"destination\": \"/a/b/c\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\"]}"
	echo x >"$HOSTDIR/x"
	set_cmd 'cat /a/b/c/x'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	# created inside the rootfs
	[ -d "$BUNDLE/rootfs/a/b/c" ]
}

@test "mounts: bind vs rbind of a directory with a submount" {
	mkdir "$HOSTDIR/sub"
	host_mount -t tmpfs berth-sub "$HOSTDIR/sub"
	echo in-sub >"$HOSTDIR/sub/f"
	update_config '.mounts |= map(select(.destination != "/host"))'
	add_mount "{\"destination\": \"/plain\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\"]}"
	add_mount "{\"destination\": \"/recursive\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\"]}"
	set_cmd 'ls /plain/sub | wc -l; cat /recursive/sub/f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = in-sub ]
}

@test "mounts: read-only bind (ro): writes fail inside, the host side stays writable" {
	update_config '.mounts |= map(select(.destination != "/host"))'
	add_mount "{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\", \"ro\"]}"
	set_cmd "$MI"'; mi /ro; touch /ro/x 2>&1; echo "rc=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	read -r type opts super <<<"${lines[0]}"
	[[ ",$opts," == *,ro,* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[ "${lines[-1]}" = "rc=1" ]
	[ ! -e "$HOSTDIR/x" ]
	# the host's view is not made read-only
	touch "$HOSTDIR/host-write"
	! grep -F " $HOSTDIR " /proc/self/mountinfo || false
}

@test "mounts: ro with rbind leaves submounts writable; rro makes them read-only too" {
	mkdir "$HOSTDIR/sub"
	host_mount -t tmpfs berth-sub "$HOSTDIR/sub"
	update_config '.mounts |= map(select(.destination != "/host"))'
	add_mount "{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"ro\"]}"
	add_mount "{\"destination\": \"/rro\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"rro\"]}"
	set_cmd 'touch /ro/sub/a 2>/dev/null; echo "ro-sub=$?"; touch /rro/sub/b 2>/dev/null; echo "rro-sub=$?"; touch /rro/c 2>/dev/null; echo "rro-top=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ro-sub=0 ]
	[ "${lines[1]}" = rro-sub=1 ]
	[ "${lines[2]}" = rro-top=1 ]
	[ -e "$HOSTDIR/sub/a" ]
	[ ! -e "$HOSTDIR/sub/b" ]
	[ ! -e "$HOSTDIR/c" ]
}

@test "mounts: tmpfs with size and mode options" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m", "mode=1770", "nosuid", "nodev"]}'
	set_cmd "$MI"'; mi /scratch; stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	read -r type opts super <<<"${lines[0]}"
	[ "$type" = tmpfs ]
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$super," == *,size=2048k,* ]]
	[[ ",$super," == *,mode=1770,* ]]
	[ "${lines[1]}" = 1770 ]
	[ "${lines[2]}" = 2048 ]
}

@test "mounts: noexec on a tmpfs stops execution" {
	add_mount '{"destination": "/noexec", "type": "tmpfs", "source": "tmpfs", "options": ["noexec"]}'
	set_cmd 'cp /bin/busybox /noexec/bb; /noexec/bb true 2>&1; echo "rc=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[ "${lines[-1]}" = rc=126 ]
}

@test "mounts: proc, sysfs, devpts, mqueue and cgroup mount types" {
	update_config '.mounts = [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
	set_cmd "$MI"'; for d in /proc /sys /dev/pts /dev/mqueue; do mi $d; done; grep -c " /sys/fs/cgroup" /proc/self/mountinfo; readlink /proc/1/exe; ls /sys/kernel >/dev/null && echo sys-ok; ls /sys/fs/cgroup'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	read -r type opts super <<<"${lines[0]}"
	[ "$type" = proc ]
	read -r type opts super <<<"${lines[1]}"
	[ "$type" = sysfs ]
	[[ ",$opts," == *,ro,* ]]
	read -r type opts super <<<"${lines[2]}"
	[ "$type" = devpts ]
	[[ ",$super," == *,mode=620,* ]]
	[[ ",$super," == *,ptmxmode=666,* ]]
	[[ ",$super," == *,gid=5,* ]]
	read -r type opts super <<<"${lines[3]}"
	[ "$type" = mqueue ]
	[[ ",$opts," == *,nodev,* ]]
	# cgroup: the cgroup hierarchies appear under /sys/fs/cgroup (v1: one per controller,
	# v2: one), read-only
	[ "${lines[4]}" -ge 1 ]
	# proc belongs to the container's pid namespace: its pid 1 is our shell
	[ "${lines[5]}" = /bin/busybox ]
	[ "${lines[6]}" = sys-ok ]
	[ "${#lines[@]}" -gt 7 ]
	set_cmd 'touch /sys/fs/cgroup/x 2>&1; echo "rc=$?"'
	run_fg "$ID-2"
	[ "${lines[-1]}" = rc=1 ]
}

@test "mounts: a cgroup mount shows the container's own cgroup, in a cgroup namespace" {
	update_config '.linux.namespaces = ([.linux.namespaces[] | select(.type != "cgroup" and .type != "pid")] + [{"type": "cgroup"}, {"type": "pid"}])'
	update_config '.mounts = ([.mounts[] | select(.destination != "/sys/fs/cgroup")]
		+ [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}])'
	# the processes of the mounted hierarchy's root are the container's own (v1: the
	# pids controller, v2: the unified root)
	set_cmd 'grep -E "^[0-9]+:(pids)?:" /proc/self/cgroup; f=/sys/fs/cgroup/pids/cgroup.procs; [ -e $f ] || f=/sys/fs/cgroup/cgroup.procs; cat $f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# inside a cgroup namespace the container's cgroup is /
	[[ "${lines[0]}" =~ :/$ ]]
	# the init (pid 1 in its pid namespace) is in the hierarchy root, no host process is
	grep -qx 1 <<<"$output"
	[ "$(grep -cE '^[0-9]+$' <<<"$output")" -le 3 ]
}

@test "mounts: a destination that is a symlink out of the rootfs does not mount on the host" {
	local outside=$BATS_TEST_TMPDIR/outside
	mkdir "$outside"
	# absolute and relative symlinks pointing at a host directory
	ln -s "$outside" "$BUNDLE/rootfs/evil-abs"
	ln -s "../../../../../../../../../../..$outside" "$BUNDLE/rootfs/evil-rel"
	add_mount '{"destination": "/evil-abs", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	add_mount '{"destination": "/evil-rel/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	set_cmd 'touch /evil-abs/marker-abs /evil-rel/sub/marker-rel 2>/dev/null; echo ready > /host/ready; exec sleep 100'
	# the runtime may refuse, or resolve the paths inside the rootfs
	if run_detached "$ID"; then
		wait_for_file "$HOSTDIR/ready"
		# while the container runs: nothing is mounted on the host path
		! grep -F " $outside" /proc/self/mountinfo || false
		# the tmpfs mounts exist in the container, but below its root: the container's
		# mountinfo lists them at $outside (the symlink target, resolved in the rootfs)
		[ "$(grep -cF " $outside" "/proc/$(pid_of "$ID")/mountinfo")" -ge 1 ]
	fi
	# the host directory is untouched
	[ -z "$(ls -A "$outside")" ]
	[ "$(stat -c %F "$outside")" = directory ]
	[ -L "$BUNDLE/rootfs/evil-abs" ]
}

@test "mounts: bind source that is a symlink is followed on the host side" {
	mkdir "$BATS_TEST_TMPDIR/real"
	echo real >"$BATS_TEST_TMPDIR/real/f"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/link"
	add_mount "{\"destination\": \"/viasymlink\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/link\", \"options\": [\"bind\"]}"
	set_cmd 'cat /viasymlink/f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = real ]
}

# --- rootfsPropagation ----------------------------------------------------------------

# share_bundle: make the bundle a shared mount on the host, so that propagation from
# the host to the container can be observed (this machine's mounts are all private).
share_bundle() {
	host_mount --bind "$BUNDLE" "$BUNDLE"
	mount --make-shared "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/from-host"
}

# the runtime-tools check, inside the container: rbind / elsewhere, then bind-mount
# something under /; with a shared root the new mount also appears in the rbind copy.
PROPAGATION_PROBE='mkdir -p /target /mnt1 /test1; echo x > /test1/example; mount --rbind / /target; mount --bind /test1 /mnt1; if [ -e /target/mnt1/example ]; then echo exposed; else echo not-exposed; fi'

# root_propagation_tag: the optional fields (shared:N, master:N, unbindable) of / inside
ROOT_TAGS='awk "\$5 == \"/\" { t = \"\"; for (i = 7; \$i != \"-\"; i++) t = t \" \" \$i; print \"tags:\" t }" /proc/self/mountinfo | tail -1'

@test "rootfsPropagation shared: / is in a peer group, mounts propagate to its binds" {
	skip_if_runc "1.1.5 leaves the rootfs private: no shared:N on / and nothing propagates (runtime-tools linux_rootfs_propagation fails)"
	add_caps CAP_SYS_ADMIN
	update_config '.linux.rootfsPropagation = "shared"'
	set_cmd "$ROOT_TAGS; $PROPAGATION_PROBE"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ shared:[0-9]+ ]]
	[ "${lines[-1]}" = exposed ]
	# nothing leaks to the host
	! grep -q " $BUNDLE/rootfs/target" /proc/self/mountinfo || false
}

@test "rootfsPropagation slave: a mount made on the host appears in the container" {
	skip_if_runc "1.1.5 does not make the rootfs a slave of the host mount: host mounts never appear inside"
	share_bundle
	update_config '.linux.rootfsPropagation = "slave"'
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local pid
	pid=$(pid_of "$ID")
	[[ "$(mountinfo_line "$pid" /)" =~ master:[0-9]+ ]]
	host_mount -t tmpfs "berth-prop-$ID" "$BUNDLE/rootfs/from-host"
	grep -q "berth-prop-$ID" "/proc/$pid/mountinfo"
}

@test "rootfsPropagation slave/private: mounts made inside never reach the host" {
	share_bundle
	add_caps CAP_SYS_ADMIN
	local p
	for p in slave private; do
		update_config --arg p "$p" '.linux.rootfsPropagation = $p'
		set_cmd "mkdir -p /inside; mount -t tmpfs berth-inside-$ID /inside && echo mounted"
		run_fg "$ID-$p"
		[ "$status" -eq 0 ]
		[ "$output" = mounted ]
		! grep -q "berth-inside-$ID" /proc/self/mountinfo || false
	done
}

@test "rootfsPropagation private: host mounts do not appear, no propagation inside" {
	share_bundle
	add_caps CAP_SYS_ADMIN
	update_config '.linux.rootfsPropagation = "private"'
	set_cmd "$ROOT_TAGS; $PROPAGATION_PROBE; echo ready > /host/ready; exec sleep 100"
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local pid out
	pid=$(pid_of "$ID")
	host_mount -t tmpfs "berth-prop-$ID" "$BUNDLE/rootfs/from-host"
	sleep 0.1
	! grep -q "berth-prop-$ID" "/proc/$pid/mountinfo" || false
	wait_for_file "$(cout "$ID")"
	out=$(cat "$(cout "$ID")")
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" = "tags:" ]
	[ "$(sed -n 2p <<<"$out")" = not-exposed ]
}

@test "rootfsPropagation unbindable: / cannot be bind-mounted inside" {
	skip_if_runc "1.1.5 fails to create the container (bind of an unbindable rootfs: invalid argument)"
	add_caps CAP_SYS_ADMIN
	update_config '.linux.rootfsPropagation = "unbindable"'
	set_cmd "$ROOT_TAGS; mkdir -p /target; mount --bind / /target 2>&1; echo \"rc=\$?\""
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *unbindable* ]]
	[[ "$output" == *"Invalid argument"* ]]
	[ "${lines[-1]}" != rc=0 ]
}
