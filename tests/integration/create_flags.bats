#!/usr/bin/env bats
# create/run flags not covered elsewhere: --no-pivot, --preserve-fds, --pidfd-socket;
# and the tmpcopyup mount extension. (--no-new-keyring has no test: every keyring of
# uid 0 is visible in /proc/keys, so nothing tells this container's apart from those of
# containers running alongside.)

load helpers

setup_file() { build_recvtty; }

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# (From inside, chroot and pivot_root look alike: mountinfo lists only the mounts
# under the process's root. This checks that --no-pivot is accepted and gives a
# working container with the rootfs as its root, and that delete leaves nothing.)
@test "run --no-pivot: the rootfs is the root (MS_MOVE + chroot) and nothing is left" {
	set_cmd 'test -e /bin/busybox && echo rootfs-ok; ls /'
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rootfs-ok ]
	[[ "$output" == *sbin* ]]
	[[ "$output" != *"$(basename "$BATS_TEST_TMPDIR")"* ]]
}

@test "create --preserve-fds 2: fds 3 and 4 reach the container, fd 5 does not" {
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	echo five >"$BATS_TEST_TMPDIR/f5"
	set_cmd 'cat <&3; cat <&4; cat <&5 2>&1 || echo no-fd-5'
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" --preserve-fds 2 "$ID" \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f5" </dev/null
	echo "$output / $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = three ]
	[ "${lines[1]}" = four ]
	[[ "$output" == *no-fd-5* ]]
	[[ "$output" != *five* ]]
}

@test "create --pidfd-socket: a pidfd of the container's init is sent" {
	skip_if_runc "1.1.5 has no --pidfd-socket"
	local sock=$BATS_TEST_TMPDIR/pidfd.sock out=$BATS_TEST_TMPDIR/pidfd.out
	"$RECVTTY" -pidfd "$sock" >"$out" 2>&1 3>&- &
	track_pid $!
	local i
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
	set_cmd 'exec sleep 100'
	create_container --pidfd-socket "$sock" "$ID"
	wait_for_file "$out"
	cat "$out"
	[ "$(cat "$out")" = "pid $(pid_of "$ID")" ]
}

@test "mounts: tmpcopyup fills a new tmpfs with what was there, writable even on a read-only root" {
	skip_if_runc "1.1.5 does not know tmpcopyup"
	update_config '.root.readonly = true | .mounts += [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}]'
	set_cmd 'head -1 /etc/passwd; echo new > /etc/newfile && cat /etc/newfile; grep " /etc " /proc/self/mountinfo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
	[ "${lines[1]}" = new ]
	[[ "${lines[2]}" == *tmpfs* ]]
	# the copy-up went to the tmpfs, not to the bundle
	[ ! -e "$BUNDLE/rootfs/etc/newfile" ]
}
