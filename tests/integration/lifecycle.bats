#!/usr/bin/env bats
# create / start / state / delete, and run (foreground, -d, --keep).

load helpers

setup() {
	setup_berth --rootless
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# check_state ID STATUS: the state JSON has the runtime-spec fields with sane values.
check_state() {
	local st
	st=$(state_of "$1")
	echo "$st"
	jq -e --arg id "$1" '.id == $id' <<<"$st"
	jq -e --arg s "$2" '.status == $s' <<<"$st"
	jq -e '.ociVersion | test("^1\\.")' <<<"$st"
	jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$st"
	# runc's extra fields, which callers read (docs/integration.md, "What clients read")
	jq -e --arg r "$BUNDLE/rootfs" '.rootfs == $r' <<<"$st"
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$")' <<<"$st"
	if [ "$2" = created ] || [ "$2" = running ]; then
		jq -e '.pid | type == "number" and . > 0' <<<"$st"
	fi
}

@test "create: status created, user process not run yet, pid file holds the host pid" {
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"

	check_state "$ID" created
	local pid
	pid=$(pid_of "$ID")
	[ "$(cat "$(pidfile "$ID")")" = "$pid" ]
	[ -d "/proc/$pid" ]
	pid_alive "$pid"
	# the container process is in its own pid namespace, as configured
	[ "$(ns_inode "$pid" pid)" != "$(ns_inode $$ pid)" ]
	# the process is not the user's program (busybox) yet
	[[ "$(readlink "/proc/$pid/exe")" != */busybox ]]
	# the user's program has not run: give it time to misbehave
	sleep 0.3
	[ ! -e "$HOSTDIR/marker" ]
	[ "$(status_of "$ID")" = created ]
	# the state directory exists (runc's layout: one directory per container)
	[ -n "$(ls -A "$ROOT")" ]
}

@test "start: runs the user process; running; then stopped when it exits; delete removes it" {
	set_cmd 'echo ran > /host/marker; while [ ! -e /host/go ]; do sleep 0.05; done; echo bye'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")

	run --separate-stderr berth start "$ID"
	[ "$status" -eq 0 ]
	wait_for_file "$HOSTDIR/marker"
	[ "$(cat "$HOSTDIR/marker")" = ran ]
	check_state "$ID" running
	# start does not change the container process
	[ "$(pid_of "$ID")" = "$pid" ]
	# ...which is now the user's program
	[[ "$(readlink "/proc/$pid/exe")" == */busybox ]]

	# the process exits -> stopped
	touch "$HOSTDIR/go"
	wait_for_status "$ID" stopped
	check_state "$ID" stopped
	wait_pid_gone "$pid"
	[ "$(cat "$(cout "$ID")")" = bye ]

	run --separate-stderr berth delete "$ID"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$ROOT")" ]
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
}

@test "start: a container that is not created cannot be started again" {
	set_cmd 'echo once >> /host/count; exec sleep 100'
	create_container "$ID"
	berth start "$ID"
	wait_for_file "$HOSTDIR/count"
	local pid
	pid=$(pid_of "$ID")

	run --separate-stderr berth start "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	# no effect on the container
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
	sleep 0.2
	[ "$(cat "$HOSTDIR/count")" = once ]
}

@test "start: a stopped container cannot be started" {
	set_cmd 'true'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run --separate-stderr berth start "$ID"
	[ "$status" -ne 0 ]
	[ "$(status_of "$ID")" = stopped ]
}

@test "state: unknown container is an error naming 'does not exist'" {
	run --separate-stderr berth state "$ID-nope"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
	[ -z "$output" ]
}

@test "create: --pid-file is written atomically with the host pid (no temp files left)" {
	set_cmd 'exec sleep 100'
	mkdir "$BATS_TEST_TMPDIR/pids"
	# (the container's stdio must not be bats' output pipe: send it to files)
	berth create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pids/c.pid" "$ID" \
		</dev/null >"$(cout "$ID")" 2>"$(cerr "$ID")"
	local pid
	pid=$(pid_of "$ID")
	track_pid "$pid"
	# exactly the pid, optionally followed by a newline
	[ "$(cat "$BATS_TEST_TMPDIR/pids/c.pid")" = "$pid" ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/pids")" = c.pid ]
	# and it is the host pid of the container's init: its pid namespace is not ours
	grep -q "^NSpid:[[:space:]]*${pid}[[:space:]]\+1$" "/proc/$pid/status"
}

@test "delete: a created container that was killed can be deleted; resources go" {
	set_cmd 'echo ran > /host/marker; exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	berth kill "$ID" KILL
	wait_for_status "$ID" stopped
	wait_pid_gone "$pid"
	berth delete "$ID"
	[ -z "$(ls -A "$ROOT")" ]
	# the user process never ran
	[ ! -e "$HOSTDIR/marker" ]
}

@test "run: foreground passes stdio through and returns the exit status (3)" {
	set_cmd 'read line; echo "out:$line"; echo "err:$line" >&2; exit 3'
	run --separate-stderr berth run --bundle "$BUNDLE" "$ID" <<<"hello"
	[ "$status" -eq 3 ]
	[ "$output" = "out:hello" ]
	[ "$stderr" = "err:hello" ]
	# run without --keep deletes the container when it exits
	[ -z "$(ls -A "$ROOT")" ]
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ]
}

@test "run: exit status 0 passes through" {
	set_cmd 'echo fine'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = fine ]
}

@test "run: a container killed by a signal gives 128+signal (SIGKILL -> 137)" {
	set_cmd 'echo started > /host/started; exec sleep 100'
	berth run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	local rpid=$! rc=0
	wait_for_file "$HOSTDIR/started"
	track_pid "$(pid_of "$ID")"
	berth kill "$ID" KILL
	wait "$rpid" || rc=$?
	[ "$rc" -eq 137 ]
	[ -z "$(ls -A "$ROOT")" ]
}

@test "run: a container killed by SIGTERM it does not handle gives 143" {
	# a shell that is not pid 1 in its namespace dies of SIGTERM; pid 1 would ignore it
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'echo started > /host/started; exec sleep 100'
	berth run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	local rpid=$! rc=0
	wait_for_file "$HOSTDIR/started"
	track_pid "$(pid_of "$ID")"
	berth kill "$ID" TERM
	wait "$rpid" || rc=$?
	[ "$rc" -eq 143 ]
}

@test "run -d: returns with the container running; output goes to the caller's stdout" {
	set_cmd 'echo detached-out; echo detached-err >&2; exec sleep 100'
	run_detached "$ID"
	check_state "$ID" running
	local pid
	pid=$(pid_of "$ID")
	[ "$(cat "$(pidfile "$ID")")" = "$pid" ]
	pid_alive "$pid"
	wait_for_file "$(cout "$ID")"
	wait_for_file "$(cerr "$ID")"
	[ "$(cat "$(cout "$ID")")" = detached-out ]
	[ "$(cat "$(cerr "$ID")")" = detached-err ]
	berth delete --force "$ID"
	wait_pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "run --keep: the stopped container stays until deleted" {
	set_cmd 'exit 4'
	run_fg --keep "$ID"
	[ "$status" -eq 4 ]
	check_state "$ID" stopped
	berth delete "$ID"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "two containers from one bundle side by side, independent" {
	set_cmd 'exec sleep 100'
	create_container "$ID-a"
	create_container "$ID-b"
	local pa pb
	pa=$(pid_of "$ID-a")
	pb=$(pid_of "$ID-b")
	[ "$pa" != "$pb" ]
	berth start "$ID-b"
	[ "$(status_of "$ID-a")" = created ]
	[ "$(status_of "$ID-b")" = running ]
	berth delete --force "$ID-b"
	[ "$(status_of "$ID-a")" = created ]
	pid_alive "$pa"
	wait_pid_gone "$pb"
}

@test "run: long flags with one dash, as some callers pass them (-no-subreaper, -root)" {
	set_cmd 'echo one-dash'
	run --separate-stderr timeout 60 "$BERTH" -root "$ROOT" run -no-subreaper -bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "$output" = one-dash ]
}
