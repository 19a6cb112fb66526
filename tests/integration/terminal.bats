#!/usr/bin/env bats
# process.terminal: the pty master sent over --console-socket (SCM_RIGHTS), and the
# foreground `run` that proxies the pty itself.

load helpers

setup_file() { build_recvtty; }

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.process.terminal = true'
	SOCK=$BATS_TEST_TMPDIR/console.sock
	TTY_OUT=$BATS_TEST_TMPDIR/tty.out
}
teardown() { teardown_berth; }

# wait_recvtty: wait for recvtty to see the pty close; fail if it failed.
wait_recvtty() {
	local rc=0
	wait "$RECVTTY_PID" || rc=$?
	cat "$BATS_TEST_TMPDIR/recvtty.err" >&2
	echo "recvtty exit $rc; got: $(cat -A "$TTY_OUT")"
	[ "$rc" -eq 0 ]
}

# tty_output: what the container wrote, without the terminal's carriage returns
tty_output() {
	tr -d '\r' <"$TTY_OUT"
}

@test "terminal: create --console-socket sends the pty master; output comes through it" {
	set_cmd 'tty; echo hello-from-tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys'
	start_recvtty
	create_container --console-socket "$SOCK" "$ID"
	[ "$(status_of "$ID")" = created ]
	berth start "$ID"
	wait_recvtty
	local out
	out=$(tty_output)
	[[ "$(sed -n 1p <<<"$out")" =~ ^/dev/pts/[0-9]+$ ]]
	[ "$(sed -n 2p <<<"$out")" = hello-from-tty ]
	[ "$(sed -n 3p <<<"$out")" = all-ttys ]
	# nothing went to the runtime's own stdout
	[ ! -s "$(cout "$ID")" ]
	wait_for_status "$ID" stopped
	# a name came with the fd
	[ -s "$BATS_TEST_TMPDIR/pty.name" ]
}

@test "terminal: the container's stdio are its pty, seen from the host" {
	set_cmd 'tty > /host/tty-name; exec sleep 100'
	start_recvtty
	create_container --console-socket "$SOCK" "$ID"
	berth start "$ID"
	wait_for_file "$HOSTDIR/tty-name"
	local pid name
	pid=$(pid_of "$ID")
	name=$(cat "$HOSTDIR/tty-name")
	[[ "$name" =~ ^/dev/pts/[0-9]+$ ]]
	[ "$(readlink "/proc/$pid/fd/0")" = "$name" ]
	[ "$(readlink "/proc/$pid/fd/1")" = "$name" ]
	[ "$(readlink "/proc/$pid/fd/2")" = "$name" ]
	# the tty is the controlling terminal of the process's session (field 7 of stat)
	local st
	st=$(cat "/proc/$pid/stat")
	st=${st##*) }
	[ "$(awk '{print $5}' <<<"$st")" != 0 ]
	berth delete --force "$ID"
	wait_recvtty
}

@test "terminal: input written to the pty master reaches the process" {
	set_cmd 'read line; echo "got:$line"'
	start_recvtty -input $'typed-in\n'
	create_container --console-socket "$SOCK" "$ID"
	berth start "$ID"
	wait_recvtty
	grep -qx 'got:typed-in' <<<"$(tty_output)"
}

@test "terminal: run -d --console-socket" {
	set_cmd 'tty; echo detached-tty'
	start_recvtty
	run_detached --console-socket "$SOCK" "$ID"
	wait_recvtty
	local out
	out=$(tty_output)
	[[ "$(sed -n 1p <<<"$out")" =~ ^/dev/pts/[0-9]+$ ]]
	[ "$(sed -n 2p <<<"$out")" = detached-tty ]
	wait_for_status "$ID" stopped
}

@test "terminal: process.consoleSize sets the window size" {
	update_config '.process.consoleSize = {"height": 33, "width": 111}'
	set_cmd 'stty size'
	start_recvtty
	create_container --console-socket "$SOCK" "$ID"
	berth start "$ID"
	wait_recvtty
	[ "$(tty_output)" = "33 111" ]
}

@test "terminal: foreground run proxies the pty and returns the exit status" {
	set_cmd 'tty; echo fg-tty; exit 7'
	# the runtime needs a terminal of its own to proxy: script(1) provides one
	run script -qec "$BERTH --root $ROOT run --bundle $BUNDLE $ID" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 7 ]
	local out
	out=$(tr -d '\r\0' <<<"$output")
	# the terminal script(1) provides may echo a NUL as "^@": it lands
	# before whichever line the container is writing at that moment
	grep -qE '(^|\^@)/dev/pts/[0-9]+$' <<<"$out"
	grep -qE '(^|\^@)fg-tty$' <<<"$out"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "terminal: foreground run passes terminal input through" {
	set_cmd 'read line; echo "got:$line"; exit 0'
	run script -qec "$BERTH --root $ROOT run --bundle $BUNDLE $ID" /dev/null < <(sleep 0.5; echo piped-line; sleep 0.5) 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'got:piped-line' <<<"$(tr -d '\r\0' <<<"$output")"
}

@test "terminal: terminal true without --console-socket on create is an error" {
	set_cmd 'true'
	run ! create_container "$ID"
	[[ "$output" == *console* ]] || [[ "$output" == *tty* ]]
	assert_nothing_left
}

@test "terminal: --console-socket without terminal is an error" {
	update_config '.process.terminal = false'
	set_cmd 'true'
	start_recvtty
	run ! create_container --console-socket "$SOCK" "$ID"
	[[ "$output" == *console* ]]
	assert_nothing_left
	kill "$RECVTTY_PID"
	wait "$RECVTTY_PID" || true
}

@test "terminal: a console socket that does not exist is an error" {
	set_cmd 'true'
	run ! create_container --console-socket "$BATS_TEST_TMPDIR/no-such.sock" "$ID"
	[[ "$output" == *no-such.sock* ]] || [[ "$output" == *"no such file or directory"* ]]
	assert_nothing_left
}
