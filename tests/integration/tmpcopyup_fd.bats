#!/usr/bin/env bats
# tmpcopyup's tmpfs is made detached and filled through fds (fsopen, fsmount,
# move_mount): no directory of the host's /tmp, so it works with rootfsPropagation
# shared and with a read-only /tmp, and leaves nothing there; a tmpfs too small for
# the copy says "no space left on device"; and bind errors name the configured source.

load helpers

setup() {
	setup_berth
	make_bundle
	mkdir "$BUNDLE/rootfs/cu"
	echo copied >"$BUNDLE/rootfs/cu/f"
}
teardown() { teardown_berth; }

# copyup_mount [OPTIONS_JSON]: a tmpcopyup tmpfs on /cu with more options;
# MOUNT_INDEX is its index.
copyup_mount() {
	MOUNT_INDEX=$(jq '.mounts | length' "$BUNDLE/config.json")
	update_config --argjson o "${1:-[]}" '.mounts += [{"destination": "/cu", "type": "tmpfs", "source": "tmpfs", "options": (["tmpcopyup"] + $o)}]'
}

# no_tmp_dirs: no temporary directory of a tmpcopyup is in the host's /tmp.
no_tmp_dirs() {
	local left
	left=$(find /tmp -maxdepth 1 \( -name 'berth-tmpcopyup*' -o -name 'runctop*' \) -newer "$BUNDLE/config.json")
	[ -z "$left" ] || {
		echo "left in /tmp: $left" >&2
		return 1
	}
}

COPY_CHECK='cat /cu/f; awk '\''$5 == "/cu" { print $9 }'\'' /proc/self/mountinfo'

@test "tmpcopyup: works with rootfsPropagation shared (the tmpfs is never on a shared mount)" {
	# The bundle on a mount of its own, as when it is not on the filesystem of /tmp: with a
	# shared root only the mount holding the rootfs is made private, and / stays shared.
	host_mount --bind "$BUNDLE" "$BUNDLE"
	copyup_mount '["mode=755"]'
	update_config '.linux.rootfsPropagation = "shared"'
	set_cmd "$COPY_CHECK"'; awk '\''$5 == "/" { print $7 }'\'' /proc/self/mountinfo | tail -1'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = copied ]
	[ "${lines[1]}" = tmpfs ]
	[[ "${lines[2]}" =~ ^shared:[0-9]+$ ]]
	no_tmp_dirs
}

@test "tmpcopyup: no path in /tmp is used: create works with a read-only /tmp, and leaves nothing there" {
	skip_if_runc "makes a directory in /tmp for its tmpcopyup tmpfs: mkdir /tmp/runctop*: read-only file system"
	copyup_mount
	set_cmd "$COPY_CHECK"'; exec sleep 100'
	# BERTH for create only: a mount namespace where /tmp is read-only, but for the
	# test's own directory (the bundle, --root, the pid file).
	local wrapper=$BATS_TEST_TMPDIR/berth-ro-tmp
	cat >"$wrapper" <<-EOF
		#!/bin/sh
		exec unshare -m --propagation private sh -ec '
			mount --bind /tmp /tmp
			mount --bind "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
			mount -o remount,bind,ro /tmp
			if mkdir /tmp/berth-ro-probe-\$\$ 2>/dev/null; then
				rmdir /tmp/berth-ro-probe-\$\$
				echo "/tmp is writable: the test cannot show anything" >&2
				exit 99
			fi
			exec "\$0" "\$@"' "$BERTH" "\$@"
	EOF
	chmod +x "$wrapper"
	BERTH=$wrapper create_container "$ID"
	berth start "$ID"
	wait_for_line "$(cout "$ID")" tmpfs
	[ "$(head -1 "$(cout "$ID")")" = copied ]
	no_tmp_dirs
}

@test "tmpcopyup: a tmpfs too small for the copy fails with no space left on device, leaving nothing" {
	head -c 1M /dev/zero >"$BUNDLE/rootfs/cu/big"
	copyup_mount '["size=64k"]'
	run ! create_container "$ID"
	echo "$output"
	[[ "$output" == *"no space left on device"* ]]
	if ! is_runc; then
		[[ "$output" == *"mounts[$MOUNT_INDEX]: copy up /cu: copy big: no space left on device"* ]]
	fi
	[ ! -s "$(cout "$ID")" ]
	assert_nothing_left
	no_tmp_dirs
}

@test "bind errors: a source the runtime opened is named as configured, then the fd it is" {
	# A source only the host's root can reach (the container's root is host uid 100000,
	# so the runtime opens it), on a nosuid mount: a user namespace cannot clear nosuid,
	# so "suid" fails after the bind.
	local priv=$BATS_TEST_TMPDIR/private src
	mkdir "$priv"
	host_mount -t tmpfs -o nosuid,mode=0700 berth-bind-src "$priv"
	src=$priv/data
	mkdir "$src" "$BUNDLE/rootfs/data"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	update_config --arg s "$src" '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind", "suid"]}]'
	run ! create_container "$ID"
	echo "$output"
	[[ "$output" == *"$src"* ]]
	if ! is_runc; then
		[[ "$output" == *"mounts[$n]: remount $src on /data: options ask to clear nosuid, which the kernel locked on the source"*": operation not permitted (/proc/self/fd/"[0-9]*" is $src, opened by the runtime)"* ]]
	fi
	umount "$priv" # the test's own mount, before the check of what the runtime left
	assert_nothing_left
}
