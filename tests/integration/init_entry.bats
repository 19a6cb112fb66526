#!/usr/bin/env bats
# There is one init, the C stage running the plan (issue 17): `berth init` is only the
# name the parent gives the sealed copy it starts. A created container's init runs no Go
# runtime (one thread, waiting on exec.fifo), and its environment names one fd, the sync
# socket's; run by hand, `init` fails with a clear error and leaves nothing behind.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

@test "init entry: a created container's init is one thread, the C stage's, with no Go runtime started, and its fds not in its environment" {
	skip_if_runc "runc's init is a Go process (several threads) by design"
	set_cmd 'echo started'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(status_of "$ID")" = created ]
	grep '^Threads:' "/proc/$pid/status"
	# the Go runtime starts several threads before main; the C stage never returns to it
	[ "$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")" = 1 ]
	# the parent starts it as "<sealed berth> init"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" | awk '{print $2}')" = init ]
	# its environment until execve: the sync socket's fd (the plan pipe, the fifo and
	# the preserved fds are named in the bootstrap and the plan), and the container's
	# ID, by which process audits find it
	tr '\0' '\n' <"/proc/$pid/environ"
	[ "$(tr '\0' '\n' <"/proc/$pid/environ" | sort | sed 's/=[0-9]*$/=N/' | tr '\n' ' ')" = "_BERTH_ID=$ID _BERTH_INITPIPE=N " ]
	berth start "$ID"
	wait_for_status "$ID" stopped
	[ "$(cat "$(cout "$ID")")" = started ]
}

@test "init entry: berth init run by hand fails with a clear error and leaves no state" {
	local before
	before=$(ls -A "$ROOT" 2>/dev/null | wc -l)
	run --separate-stderr "$BERTH" --root "$ROOT" init </dev/null
	echo "status=$status stdout=$output stderr=$stderr"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
	if ! is_runc; then
		[ "$status" = 1 ]
		[[ "$stderr" == *"berth init: _BERTH_INITPIPE not set: berth init is not meant to be run by hand"* ]]
	fi
	[ "$(ls -A "$ROOT" 2>/dev/null | wc -l)" = "$before" ]
}

@test "init entry: berth init with a sync fd that is not berth's socket says so on stderr" {
	skip_if_runc "berth's variable and the C stage's error"
	# fd 0 is /dev/null, not a socket: the stage cannot read its bootstrap, and with no
	# parent to tell, the error goes to stderr
	run --separate-stderr env _BERTH_INITPIPE=0 "$BERTH" init </dev/null
	echo "status=$status stdout=$output stderr=$stderr"
	[ "$status" = 1 ]
	[ -z "$output" ]
	[[ "$stderr" == "berth init: read bootstrap: Socket operation on non-socket" ]]
}
