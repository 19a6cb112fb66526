#!/usr/bin/env bats
# Mounts as runc 1.5 makes them: destinations through dangling symlinks in the rootfs,
# destinations given as host paths under the rootfs, the exact flags of bind mounts
# (and the locked ones of a user namespace), and bind sources only the host's root can
# reach.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

# add_mount JSON: append one mount to config.json
add_mount() {
	update_config --argjson m "$1" '.mounts += [$m]'
}

# bind_mount SOURCE DEST [OPTIONS_JSON='["bind"]']
bind_mount() {
	update_config --arg s "$1" --arg d "$2" --argjson o "${3:-[\"bind\"]}" \
		'.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}]'
}

# $MI defines a shell function for the container: `mi DEST` prints the per-mount options
# of the mount at DEST (the top one if stacked), from /proc/self/mountinfo.
MI='mi() { awk -v d="$1" "\$5 == d { o = \$6 } END { print o }" /proc/self/mountinfo; }'

# --- destinations (dangling symlinks, host paths) ---------------------------------------

@test "compat mounts: a file bound over a dangling absolute /etc/resolv.conf symlink lands on its target in the rootfs" {
	rm -f "$BUNDLE/rootfs/etc/resolv.conf"
	ln -s /run/systemd/resolve/stub-resolv.conf "$BUNDLE/rootfs/etc/resolv.conf"
	echo 'nameserver 192.0.2.53' >"$BATS_TEST_TMPDIR/resolv.conf"
	bind_mount "$BATS_TEST_TMPDIR/resolv.conf" /etc/resolv.conf
	set_cmd 'cat /etc/resolv.conf; readlink /etc/resolv.conf; '"$MI"'; mi /run/systemd/resolve/stub-resolv.conf'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'nameserver 192.0.2.53' ]
	# the symlink stays, and the file it names was made inside the rootfs
	[ "${lines[1]}" = /run/systemd/resolve/stub-resolv.conf ]
	[ -n "${lines[2]}" ]
	[ -L "$BUNDLE/rootfs/etc/resolv.conf" ]
	[ -f "$BUNDLE/rootfs/run/systemd/resolve/stub-resolv.conf" ]
}

@test "compat mounts: dangling relative symlinks, chained and as a middle component, are followed inside the rootfs" {
	mkdir -p "$BUNDLE/rootfs/srv"
	# /data -> srv/link -> ../var/lib/data (missing); /opt/app -> /missing/app
	ln -s srv/link "$BUNDLE/rootfs/data"
	ln -s ../var/lib/data "$BUNDLE/rootfs/srv/link"
	ln -s /missing/app "$BUNDLE/rootfs/opt-app"
	echo x >"$HOSTDIR/x"
	bind_mount "$HOSTDIR" /data
	bind_mount "$HOSTDIR" /opt-app/conf/d
	set_cmd 'cat /data/x /var/lib/data/x /opt-app/conf/d/x /missing/app/conf/d/x'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "x
x
x
x" ]
	[ -d "$BUNDLE/rootfs/var/lib/data" ]
	[ -d "$BUNDLE/rootfs/missing/app/conf/d" ]
}

@test "compat mounts: a dangling symlink pointing out of the rootfs is resolved inside it, nothing is made on the host" {
	local out=$BATS_TEST_TMPDIR/outside
	ln -s "../../../../../../../..$out/resolv.conf" "$BUNDLE/rootfs/etc/dns"
	ln -s "$out/dir" "$BUNDLE/rootfs/absdir"
	echo inside >"$BATS_TEST_TMPDIR/f"
	bind_mount "$BATS_TEST_TMPDIR/f" /etc/dns
	bind_mount "$HOSTDIR" /absdir
	set_cmd 'cat /etc/dns; [ -d /absdir ] && echo dir'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "inside
dir" ]
	[ ! -e "$out" ]
	[ -f "$BUNDLE/rootfs$out/resolv.conf" ]
	[ -d "$BUNDLE/rootfs$out/dir" ]
}

@test "compat mounts: a symlink loop as a destination is an error naming the mount, with nothing left" {
	ln -s loop-b "$BUNDLE/rootfs/loop-a"
	ln -s loop-a "$BUNDLE/rootfs/loop-b"
	bind_mount "$HOSTDIR" /loop-a
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/loop-a"* ]]
	[[ "$stderr" == *"too many levels of symbolic links"* ]]
	assert_nothing_left
}

@test "compat mounts: a destination given as a host path under the rootfs is the container path" {
	echo x >"$HOSTDIR/x"
	bind_mount "$HOSTDIR" "$BUNDLE/rootfs/mnt/hostpath"
	set_cmd 'cat /mnt/hostpath/x; [ -e "'"$BUNDLE"'" ] && echo full-path-made || echo stripped'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "x
stripped" ]
	[ -d "$BUNDLE/rootfs/mnt/hostpath" ]
	[ ! -e "$BUNDLE/rootfs$BUNDLE" ]
}

# --- bind mount flags -------------------------------------------------------------------

# src_mount DIR OPTIONS [ro]: a tmpfs mounted on the host at DIR (made) with mount(8)
# OPTIONS, holding a file f, made read-only afterwards with "ro"; unmounted in teardown.
src_mount() {
	mkdir -p "$1"
	host_mount -t tmpfs -o "$2" berth-src "$1"
	echo in-src >"$1/f"
	if [ "${3:-}" = ro ]; then
		mount -o remount,ro "$1"
	fi
}

# userns: the container gets a user namespace, its root host uid 100000.
userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "compat mounts: a bind mount gets exactly the flags asked for; the source's atime mode stays unless one is asked for" {
	local src=$BATS_TEST_TMPDIR/src
	src_mount "$src" nosuid,nodev,noexec,noatime,nosymfollow
	bind_mount "$src" /cleared '["bind", "rw"]'
	bind_mount "$src" /nosuid '["bind", "nosuid"]'
	bind_mount "$src" /suid-dev '["rbind", "suid", "dev"]'
	bind_mount "$src" /asis '["bind"]'
	bind_mount "$src" /relatime '["bind", "relatime", "ro"]'
	set_cmd "$MI"'; for d in /cleared /nosuid /suid-dev /asis /relatime; do echo "$d $(mi $d)"; done; cat /cleared/f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# an option that only clears (rw, suid, dev) is a request too: what was not asked
	# for is cleared, the atime mode (noatime) is kept
	[ "${lines[0]}" = "/cleared rw,noatime" ]
	[ "${lines[1]}" = "/nosuid rw,nosuid,noatime" ]
	[ "${lines[2]}" = "/suid-dev rw,noatime" ]
	# no option at all: the source's flags as they are
	[ "${lines[3]}" = "/asis rw,nosuid,nodev,noexec,noatime,nosymfollow" ]
	[ "${lines[4]}" = "/relatime ro,relatime" ]
	[ "${lines[5]}" = in-src ]
	# the host's mount is untouched
	[ "$(awk -v d="$src" '$5 == d { print $6 }' /proc/self/mountinfo)" = rw,nosuid,nodev,noexec,noatime,nosymfollow ]
}

@test "compat mounts: in a user namespace the source's locked flags are kept where not asked about" {
	local src=$BATS_TEST_TMPDIR/src
	src_mount "$src" nosuid,noexec,mode=0755
	userns
	# made here: the container's root may not write the rootfs of host root
	mkdir "$BUNDLE/rootfs/nodev" "$BUNDLE/rootfs/ro"
	bind_mount "$src" /nodev '["bind", "nodev"]'
	bind_mount "$src" /ro '["bind", "ro"]'
	set_cmd "$MI"'; echo "$(mi /nodev) $(mi /ro)"; cat /ro/f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "rw,nosuid,nodev,noexec,relatime ro,nosuid,noexec,relatime" ]
	[ "${lines[1]}" = in-src ]
}

@test "compat mounts: in a user namespace, asking to clear a locked flag of the source fails with EPERM, with nothing left" {
	# outside the test's directory, so that assert_nothing_left sees only the runtime's
	local src=$BATS_RUN_TMPDIR/$ID-src opts
	defer rmdir "$src"
	src_mount "$src" nosuid,noexec,mode=0755 ro
	userns
	mkdir "$BUNDLE/rootfs/locked"
	for opts in '["bind", "rw"]' '["rbind", "exec"]' '["bind", "ro", "suid"]' '["bind", "ro", "noatime"]'; do
		update_config '.mounts |= map(select(.destination != "/locked"))'
		bind_mount "$src" /locked "$opts"
		run_fg "$ID"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"/locked"* ]]
		[[ "$stderr" == *"locked"*"operation not permitted"* ]]
		assert_nothing_left
	done
}

# --- bind sources the container's root cannot reach --------------------------------------

@test "compat mounts: in a user namespace, bind sources only the host's root can reach are mounted (opened with the host's credentials)" {
	local priv=$BATS_TEST_TMPDIR/private
	mkdir -p "$priv/data"
	echo secret-data >"$priv/data/f"
	echo conf-data >"$priv/file.conf"
	chmod 0755 "$priv/data"
	chmod 0644 "$priv/data/f" "$priv/file.conf"
	# host root's alone: the container's root (host uid 100000) cannot even look inside
	chmod 0700 "$priv"
	userns
	mkdir "$BUNDLE/rootfs/data"
	touch "$BUNDLE/rootfs/etc/file.conf"
	bind_mount "$priv/data" /data '["rbind", "ro", "nosuid"]'
	bind_mount "$priv/file.conf" /etc/file.conf
	set_cmd "$MI"'; cat /data/f /etc/file.conf; mi /data; ls /proc/self/fd | wc -l; id -u'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = secret-data ]
	[ "${lines[1]}" = conf-data ]
	# the options still apply to the mount made from the host's handle
	[[ ",${lines[2]}," == *,ro,*nosuid,* ]]
	# no fd of the runtime is left to the process (0-2 and ls's own directory)
	[ "${lines[3]}" -le 4 ]
	[ "${lines[4]}" = 0 ]
	# the host's side: the directory is as it was, and no one else could have read it
	[ "$(stat -c %a "$priv")" = 700 ]
	! setpriv --reuid 100000 --regid 100000 --clear-groups cat "$priv/data/f" 2>/dev/null || false
}

@test "compat mounts: a bind source that does not exist is still an error naming it, with a user namespace too" {
	local src
	mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
	userns
	# missing where the container's root can look, and where only the host's root can
	for src in "$BATS_TEST_TMPDIR/missing" "$BATS_TEST_TMPDIR/private/missing"; do
		update_config '.mounts |= map(select(.destination != "/data"))'
		bind_mount "$src" /data
		run_fg "$ID"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"$src"* ]]
		[[ "$stderr" == *"no such file or directory"* ]]
		assert_nothing_left
	done
}
