#!/usr/bin/env bats
# process.terminal with a /dev the container controls: the pty master must be the kernel's
# multiplexer (char 5:2) and the slave that master's peer on devpts. A file or /dev/null
# put at /dev/ptmx or /dev/pts/ptmx (by config.json's mounts, or by a process of the
# running container before an exec) fails create or exec with an error naming
# process.terminal, and leaves nothing behind; a ptmx node of the devtmpfs kind still
# works.

load helpers

setup_file() { build_recvtty; }

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	SOCK=$BATS_TEST_TMPDIR/console.sock
}
teardown() {
	if [ -n "${RECVTTY_PID:-}" ]; then
		kill "$RECVTTY_PID" 2>/dev/null || true
		wait "$RECVTTY_PID" 2>/dev/null || true
	fi
	teardown_berth
}

# create_fails: create with a terminal fails; its stderr is $output.
create_fails() {
	update_config '.process.terminal = true'
	set_cmd 'echo should-not-run > /host/ran'
	start_recvtty
	run ! create_container --console-socket "$SOCK" "$ID"
	output=$(cat "$(cerr "$ID")")
	echo "$output"
	assert_nothing_left
	[ ! -e "$HOSTDIR/ran" ]
}

# start_ctr: a running container (no terminal of its own) whose init is $INIT.
start_ctr() {
	update_config '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	INIT=$(pid_of "$ID")
	[ -n "$INIT" ] && [ "$INIT" != 0 ]
}

# exec_tty ARGS...: a foreground `exec -t` under script(1) (the runtime proxies the pty:
# it needs a terminal of its own); $status and $output.
exec_tty() {
	local cmd
	printf -v cmd '%q ' timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec -t "$ID" "$@"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	# the terminal script(1) provides may echo a NUL as "^@" before a line
	output=$(tr -d '\r\0' <<<"$output" | sed 's/^\^@//')
	echo "exec -t $*: status=$status"
	echo "$output"
}

# only_init_left: the failed exec left no process in the container.
only_init_left() {
	local ino procs
	[ "$(berth ps --format json "$ID" | jq -c .)" = "[$INIT]" ]
	ino=$(stat -Lc %i "/proc/$INIT/ns/pid")
	procs=$(stat -Lc '%i %n' /proc/[0-9]*/ns/pid 2>/dev/null | awk -v i="$ino" '$1 == i { split($2, a, "/"); print a[3] }')
	echo "in the pid namespace: $procs"
	[ "$procs" = "$INIT" ]
}

@test "console_verify: create with /dev/null bound at /dev/pts/ptmx fails naming process.terminal" {
	update_config '.mounts += [{"destination": "/dev/pts/ptmx", "type": "bind", "source": "/dev/null", "options": ["bind"]}]'
	create_fails
	[[ "$output" == *ptmx* ]]
	# runc 1.5.3: "verify ptmx handle: ptmx handle is not on a real devpts mount"
	is_runc || [[ "$output" == *"process.terminal: /dev/ptmx is a character device 1:3, not the pty multiplexer (character device 5:2)"* ]]
}

@test "console_verify: create with a regular file bound at /dev/pts/ptmx fails naming process.terminal" {
	echo not-a-pty >"$HOSTDIR/fake-ptmx"
	update_config --arg f "$HOSTDIR/fake-ptmx" '.mounts += [{"destination": "/dev/pts/ptmx", "type": "bind", "source": $f, "options": ["bind"]}]'
	create_fails
	[[ "$output" == *ptmx* ]]
	is_runc || [[ "$output" == *"process.terminal: /dev/ptmx is a regular file, not the pty multiplexer (character device 5:2)"* ]]
	# nothing was written into the file that stood in for the multiplexer
	[ "$(cat "$HOSTDIR/fake-ptmx")" = not-a-pty ]
}

@test "console_verify: exec -t after the container bound /dev/null over /dev/pts/ptmx fails, nothing left" {
	add_caps CAP_SYS_ADMIN
	start_ctr
	berth exec "$ID" mount --bind /dev/null /dev/pts/ptmx
	exec_tty sh -c 'echo should-not-run > /host/ran'
	[ "$status" -ne 0 ]
	[[ "$output" == *ptmx* ]]
	is_runc || [[ "$output" == *"process.terminal: /dev/ptmx is a character device 1:3, not the pty multiplexer (character device 5:2)"* ]]
	[ ! -e "$HOSTDIR/ran" ]
	only_init_left
	[ "$(status_of "$ID")" = running ]
}

@test "console_verify: exec -t after the container replaced /dev/ptmx by a regular file" {
	start_ctr
	berth exec "$ID" sh -c 'rm /dev/ptmx && echo not-a-pty > /dev/ptmx'
	exec_tty sh -c 'tty; echo ran > /host/ran'
	if is_runc; then
		# runc 1.5.3 opens /dev/pts/ptmx and never reads /dev/ptmx: the exec works
		[ "$status" -eq 0 ]
		[ "$(cat "$HOSTDIR/ran")" = ran ]
		return 0
	fi
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.terminal: /dev/ptmx is a regular file, not the pty multiplexer (character device 5:2)"* ]]
	[ ! -e "$HOSTDIR/ran" ]
	only_init_left
	[ "$(berth exec "$ID" cat /dev/ptmx)" = not-a-pty ]
}

@test "console_verify: a devtmpfs-style /dev/ptmx node (char 5:2, not on devpts) still gives a pty in the container's devpts" {
	add_caps CAP_MKNOD
	start_ctr
	berth exec "$ID" sh -c 'rm /dev/ptmx && mknod -m 666 /dev/ptmx c 5 2'
	[ "$(berth exec "$ID" stat -c '%F %t:%T' /dev/ptmx)" = "character special file 5:2" ]
	exec_tty sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; ls -1 /dev/pts'
	[ "$status" -eq 0 ]
	local name
	name=$(sed -n 1p <<<"$output")
	[[ "$name" =~ ^/dev/pts/[0-9]+$ ]]
	grep -qx all-ttys <<<"$output"
	# the pty is in the container's own devpts: its number is listed there
	grep -qx "${name#/dev/pts/}" <<<"$output"
	only_init_left
}

@test "console_verify: create and exec -t with the standard /dev still get their pty" {
	update_config '.process.terminal = true'
	set_cmd 'tty > /host/init-tty; exec sleep 1000'
	start_recvtty
	create_container --console-socket "$SOCK" "$ID"
	berth start "$ID"
	wait_for_file "$HOSTDIR/init-tty"
	[[ "$(cat "$HOSTDIR/init-tty")" =~ ^/dev/pts/[0-9]+$ ]]
	INIT=$(pid_of "$ID")
	[ "$(readlink "/proc/$INIT/fd/0")" = "$(cat "$HOSTDIR/init-tty")" ]
	exec_tty sh -c 'tty; [ -t 0 ] && echo exec-tty'
	[ "$status" -eq 0 ]
	[[ "$(sed -n 1p <<<"$output")" =~ ^/dev/pts/[0-9]+$ ]]
	grep -qx exec-tty <<<"$output"
}
