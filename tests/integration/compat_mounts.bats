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
