#!/usr/bin/env bats
# delete: refuses a running or paused container without --force; --force kills and
# removes; a created one goes without --force (as in runc and crun).

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

@test "delete: a running container without --force fails and keeps running" {
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth delete "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[[ "$stderr" == *running* ]]
	# no effect on the container
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
	pid_alive "$pid"
	[ -n "$(ls -A "$ROOT")" ]
}

@test "delete --force: kills a running container and removes it" {
	set_cmd 'echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local pid start
	pid=$(pid_of "$ID")
	start=$(proc_starttime "$pid")
	run --separate-stderr berth delete --force "$ID"
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid" "$start"
	[ -z "$(ls -A "$ROOT")" ]
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
	# the ID is free again
	set_cmd 'echo again'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = again ]
}

@test "delete --force: removes a created container (the process never runs)" {
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth delete --force "$ID"
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
	[ ! -e "$HOSTDIR/marker" ]
}

@test "delete -f: short form of --force" {
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	berth delete -f "$ID"
	wait_pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "delete: a created container without --force is killed and removed" {
	# as runc and crun do, and containerd's shim relies on (spec13_lifecycle.bats has
	# the cgroups and the poststop hooks)
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth delete "$ID"
	[ "$status" -eq 0 ]
	wait_pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
	[ ! -e "$HOSTDIR/marker" ]
}

@test "delete: a stopped container is removed without --force" {
	set_cmd 'exit 0'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run --separate-stderr berth delete "$ID"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$ROOT")" ]
}

@test "delete: nonexistent container is an error naming 'does not exist'" {
	run --separate-stderr berth delete "$ID-nope"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
}

@test "delete: only the named container goes" {
	set_cmd 'exec sleep 100'
	run_detached "$ID-a"
	run_detached "$ID-b"
	local pa
	pa=$(pid_of "$ID-a")
	berth delete --force "$ID-b"
	[ "$(status_of "$ID-a")" = running ]
	pid_alive "$pa"
	run berth list -q
	[ "$output" = "$ID-a" ]
}

@test "delete --force: a paused container is thawed, killed and removed at once" {
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	berth pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	local start
	start=$(now_ms)
	berth delete --force "$ID"
	# a frozen task acts on SIGKILL only once thawed: delete must not wait it out
	[ $(($(now_ms) - start)) -lt 5000 ]
	wait_pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(leftover_cgroups)" ]
}
