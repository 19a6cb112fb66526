#!/usr/bin/env bats
# Lifecycle as runc 1.5 and crun have it (issue 16): `delete` of a created container
# without --force, `exec --pidfd-socket`, and the poststop hooks of a `run` whose
# startContainer hook fails running once.

load helpers

setup_file() { build_recvtty; }

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	LOG=$HOSTDIR/hooks.log
	# hook.sh NAME LOG: append "NAME <the state JSON from stdin, on one line>" to LOG
	HOOK=$BATS_TEST_TMPDIR/hook.sh
	cat >"$HOOK" <<'SH'
#!/bin/sh
state=$(cat)
printf '%s %s\n' "$1" "$(printf %s "$state" | tr -d '\n')" >>"$2"
SH
	chmod 755 "$HOOK"
}
teardown() { teardown_berth; }

# poststop_hook: a poststop hook that logs to $LOG
poststop_hook() {
	update_config --arg p "$HOOK" --arg l "$LOG" \
		'.hooks.poststop = [{"path": $p, "args": ["hook.sh", "poststop", $l]}]'
}

# poststop_count: how many times the poststop hook ran
poststop_count() {
	grep -c '^poststop ' "$LOG" 2>/dev/null || true
}

# container_cgroups: the container's cgroup directories on the host
container_cgroups() {
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$ID" 2>/dev/null
}

# start_pidfd_receiver SOCK OUT: tests/cmd/recvtty -pidfd listening on SOCK, writing
# "pid N" (the pid the received pidfd refers to, from its fdinfo) to OUT.
start_pidfd_receiver() {
	"$RECVTTY" -pidfd "$1" >"$2" 2>&1 3>&- &
	# a receiver that got nothing would wait for its timeout: the test has failed
	# on its output already
	defer "kill $! 2>/dev/null"
	local i
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.02
	done
	echo "receiver did not listen on $1" >&2
	return 1
}

@test "delete: a created container without --force is killed and removed, its cgroups and state go, poststop runs once" {
	# runc 1.5 and crun delete a created (never started) container without --force, and
	# containerd's shim relies on it; the user's process never runs.
	update_config --arg cg "/$ID" '.linux.cgroupsPath = $cg | .linux.resources.pids.limit = 100'
	poststop_hook
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid start
	pid=$(pid_of "$ID")
	start=$(proc_starttime "$pid")
	[ "$(status_of "$ID")" = created ]
	[ -n "$(container_cgroups)" ]
	run --separate-stderr berth delete "$ID"
	echo "delete: $status $stderr"
	[ "$status" -eq 0 ]
	# init was killed (it is not left waiting on exec.fifo), and the process never ran
	wait_pid_gone "$pid" "$start"
	[ ! -e "$HOSTDIR/marker" ]
	# state and cgroups are gone
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(container_cgroups)" ]
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
	# the poststop hooks ran, once, with the stopped state
	cat "$LOG"
	[ "$(poststop_count)" = 1 ]
	jq -e --arg id "$ID" '.id == $id and .status == "stopped"' <<<"$(cut -d' ' -f2- "$LOG")"
	# the ID is free again
	update_config '.hooks = {}'
	set_cmd 'echo again'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = again ]
}

@test "delete: a created container without --force in the host pid namespace: its init goes too" {
	# without a pid namespace of its own, killing init does not take its cgroup's other
	# processes with it; here there are none, but init itself must go
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid start
	pid=$(pid_of "$ID")
	start=$(proc_starttime "$pid")
	berth delete "$ID"
	wait_pid_gone "$pid" "$start"
	[ ! -e "$HOSTDIR/marker" ]
	[ -z "$(ls -A "$ROOT")" ]
}

@test "delete: a paused container without --force is still refused and stays paused" {
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	berth pause "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth delete "$ID"
	echo "delete: $status $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *paused* ]]
	[ "$(status_of "$ID")" = paused ]
	pid_alive "$pid"
	berth resume "$ID"
}

# failing_hook_run PHASE [RUN FLAGS...]: `run` with a PHASE (startContainer, poststart)
# hook that fails (/bin/false: in the container's mount namespace for startContainer, the
# host's for poststart; both have one)
failing_hook_run() {
	local phase=$1
	shift
	poststop_hook
	update_config --arg ph "$phase" '.hooks[$ph] = [{"path": "/bin/false"}]'
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	run_fg "$@" "$ID"
	[ -n "$stderr" ]
	if [ "$phase" = startContainer ]; then
		[ ! -e "$HOSTDIR/marker" ]
	fi
	cat "$LOG"
	# runtime.md lifecycle: a failing startContainer or poststart hook ends at step 12,
	# the poststop hooks, which run once (start's destroy and run's clean-up are one)
	[ "$(poststop_count)" = 1 ]
	assert_nothing_left
	# runtime.md lifecycle steps 7 and 9: MUST generate an error
	[ "$status" -ne 0 ]
}

@test "run: a failing startContainer hook runs the poststop hooks once" {
	failing_hook_run startContainer
}

@test "run -d: a failing startContainer hook runs the poststop hooks once" {
	# runtime.md lifecycle step 7: start MUST generate an error and continue at step 12
	skip_if_runc "1.5.3 run -d does not wait for the startContainer hooks: it exits 0, leaves the container stopped, and runs the poststop hooks only at a later delete"
	failing_hook_run startContainer -d
}

@test "run: a failing poststart hook runs the poststop hooks once" {
	failing_hook_run poststart
}

@test "run -d: a failing poststart hook runs the poststop hooks once" {
	failing_hook_run poststart -d
}

@test "exec --pidfd-socket: a pidfd of the exec'd process is sent (detached)" {
	local sock=$BATS_TEST_TMPDIR/pidfd.sock out=$BATS_TEST_TMPDIR/pidfd.out xpid=$BATS_TEST_TMPDIR/exec.pid
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local init pid
	init=$(pid_of "$ID")
	start_pidfd_receiver "$sock" "$out"
	berth exec -d --pid-file "$xpid" --pidfd-socket "$sock" "$ID" sh -c 'echo execd > /host/execd; exec sleep 100' \
		</dev/null >/dev/null 2>&1
	pid=$(cat "$xpid")
	track_pid "$pid"
	wait_for_file "$out"
	cat "$out"
	# the pidfd names the exec'd process (the kernel's answer, from its fdinfo), not init
	[ "$(cat "$out")" = "pid $pid" ]
	[ "$pid" != "$init" ]
	# ... which runs in the container
	wait_for_file "$HOSTDIR/execd"
	[ "$(ns_inode "$pid" pid)" = "$(ns_inode "$init" pid)" ]
	[ "$(ns_inode "$pid" mnt)" = "$(ns_inode "$init" mnt)" ]
}

@test "exec --pidfd-socket: a pidfd of the exec'd process is sent (foreground; the exit status passes through)" {
	local sock=$BATS_TEST_TMPDIR/pidfd.sock out=$BATS_TEST_TMPDIR/pidfd.out
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local init
	init=$(pid_of "$ID")
	start_pidfd_receiver "$sock" "$out"
	run --separate-stderr berth exec --pidfd-socket "$sock" "$ID" sh -c 'echo out; sleep 1; exit 3' </dev/null
	echo "exec: $status $output $stderr"
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	wait_for_file "$out"
	cat "$out"
	[[ "$(cat "$out")" =~ ^pid\ [0-9]+$ ]]
	[ "$(cat "$out")" != "pid $init" ]
	[ "$(cat "$out")" != "pid 0" ]
}

@test "exec --pidfd-socket: a socket nobody listens on fails exec, names it, and runs nothing" {
	local sock=$BATS_TEST_TMPDIR/nobody.sock
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	run --separate-stderr berth exec -d --pidfd-socket "$sock" "$ID" sh -c 'echo execd > /host/execd; exec sleep 100' </dev/null
	echo "exec: $status $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$sock"* ]]
	sleep 0.2
	[ ! -e "$HOSTDIR/execd" ]
	# only init is in the container
	[ "$(berth ps --format json "$ID" | jq length)" = 1 ]
	[ "$(status_of "$ID")" = running ]
}

@test "create --pidfd-socket: a socket nobody listens on fails create before anything is made" {
	# as runc: the socket is connected first, so no hook runs and nothing is undone
	local sock=$BATS_TEST_TMPDIR/nobody.sock
	poststop_hook
	update_config --arg p "$HOOK" --arg l "$LOG" \
		'.hooks.createRuntime = [{"path": $p, "args": ["hook.sh", "createRuntime", $l]}]'
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	run ! create_container --pidfd-socket "$sock" "$ID"
	echo "$output"
	[[ "$output" == *"$sock"* ]]
	[ ! -e "$LOG" ]
	[ ! -e "$HOSTDIR/marker" ]
	skip_if_runc "1.5.3 leaves the container's state directory in --root (the rest is checked first)"
	assert_nothing_left
}
