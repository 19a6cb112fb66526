#!/usr/bin/env bats
# kill: signal names and numbers, the default signal, --all, and errors.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# The container's init (pid 1 in its pid namespace) only receives the signals it
# handles: it records each one it gets in /host/sigs and exits on TERM/INT/HUP/USR1.
start_trapper() {
	set_cmd '
		for s in TERM INT HUP USR1 USR2; do trap "echo $s >> /host/sigs; [ $s = USR2 ] || exit 0" $s; done
		echo ready > /host/ready
		while :; do sleep 0.05; done'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
}

@test "kill: default signal is SIGTERM" {
	start_trapper
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth kill "$ID"
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
	[ "$(cat "$HOSTDIR/sigs")" = TERM ]
	wait_pid_gone "$pid"
}

@test "kill: signal by short name (TERM)" {
	start_trapper
	berth kill "$ID" TERM
	wait_for_status "$ID" stopped
	[ "$(cat "$HOSTDIR/sigs")" = TERM ]
}

@test "kill: signal by SIG-prefixed name (SIGUSR2, SIGHUP)" {
	start_trapper
	berth kill "$ID" SIGUSR2
	wait_for_file "$HOSTDIR/sigs"
	[ "$(status_of "$ID")" = running ]
	berth kill "$ID" SIGHUP
	wait_for_status "$ID" stopped
	[ "$(cat "$HOSTDIR/sigs")" = "USR2
HUP" ]
}

@test "kill: signal by number (9 = SIGKILL, 2 = SIGINT)" {
	start_trapper
	berth kill "$ID" 2
	wait_for_status "$ID" stopped
	[ "$(cat "$HOSTDIR/sigs")" = INT ]
	berth delete "$ID"

	set_cmd 'echo ready > /host/ready2; exec sleep 100'
	run_detached "$ID-9"
	wait_for_file "$HOSTDIR/ready2"
	local pid
	pid=$(pid_of "$ID-9")
	run --separate-stderr berth kill "$ID-9" 9
	[ "$status" -eq 0 ]
	wait_for_status "$ID-9" stopped
	wait_pid_gone "$pid"
}

@test "kill: KILL by name ends a process that handles nothing" {
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	berth kill "$ID" KILL
	wait_for_status "$ID" stopped
	wait_pid_gone "$pid"
}

@test "kill: a created container can be killed (it never runs)" {
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
	wait_pid_gone "$pid"
	[ ! -e "$HOSTDIR/marker" ]
}

@test "kill --all: accepted, and signals every process of the container" {
	# no pid namespace: the processes are not killed with the init by the kernel
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 100 & echo $! > /host/child; echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local child pid
	pid=$(pid_of "$ID")
	child=$(cat "$HOSTDIR/child")
	track_pid "$child"
	pid_alive "$child"
	run --separate-stderr berth kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$ID" stopped
	wait_pid_gone "$pid"
	wait_pid_gone "$child"
}

@test "kill --all: a stopped container's leftover processes are killed" {
	# No pid namespace: init's child outlives it, in the container's cgroup.
	# containerd's shim cleans up such a container with kill --all after
	# init's exit.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 100 & echo $! > /host/child; echo ready > /host/ready'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	wait_for_status "$ID" stopped
	local child
	child=$(cat "$HOSTDIR/child")
	track_pid "$child"
	pid_alive "$child"
	run --separate-stderr berth kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_pid_gone "$child"
	berth delete "$ID"
}

@test "kill: a stopped container is an error and changes nothing" {
	set_cmd 'true'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run --separate-stderr berth kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not running"* ]]
	[ "$(status_of "$ID")" = stopped ]
	# it can still be deleted normally
	berth delete "$ID"
}

@test "kill: unknown container is an error naming 'does not exist'" {
	run --separate-stderr berth kill "$ID-nope" KILL
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
}

@test "kill: an invalid signal is an error and the container keeps running" {
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth kill "$ID" SIGNOPE
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	run --separate-stderr berth kill "$ID" 99999
	[ "$status" -ne 0 ]
	[ "$(status_of "$ID")" = running ]
	pid_alive "$pid"
}
