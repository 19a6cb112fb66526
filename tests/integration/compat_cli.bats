#!/usr/bin/env bats
# compat_cli: the command line as runc 1.5 has it (issue 14): flags after the container
# ID, surplus arguments, repeatable flags with commas, exec's exit status 255 for its own
# failures, kill 0 and SIGKILL without a pid namespace, list and ps output, spec's cgroup
# namespace, and the checkpoint/restore commands.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	# a cgroup of its own, where both runtimes put it (and teardown looks for it)
	update_config --arg p "/$ID" '.linux.cgroupsPath = $p'
}
teardown() {
	if [ -n "${PAUSED:-}" ]; then
		berth resume "$PAUSED" >/dev/null 2>&1 || true
	fi
	teardown_berth
}

# start_sleeper [ID]: run -d a container whose init sleeps; INIT is its host pid.
start_sleeper() {
	local id=${1:-$ID}
	set_cmd "echo ready > /host/ready-$id; exec sleep 300"
	run_detached "$id"
	wait_for_file "$HOSTDIR/ready-$id"
	INIT=$(pid_of "$id")
}

# --- flags after the ID, surplus arguments ---------------------------------------------

@test "compat cli: update ID --memory takes effect (flags after the ID are parsed)" {
	[ -d /sys/fs/cgroup/memory ] || skip "host has no v1 memory hierarchy"
	start_sleeper
	run --separate-stderr berth update "$ID" --memory 8M --pids-limit 77
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(cat "/sys/fs/cgroup/memory/$ID/memory.limit_in_bytes")" = 8388608 ]
	[ "$(cat "/sys/fs/cgroup/pids/$ID/pids.max")" = 77 ]
	# the flag form with "=" as well
	berth update "$ID" --memory=16M
	[ "$(cat "/sys/fs/cgroup/memory/$ID/memory.limit_in_bytes")" = 16777216 ]
}

@test "compat cli: delete ID --force (and -f) removes a running container" {
	start_sleeper
	run --separate-stderr berth delete "$ID" --force
	echo "$stderr"
	[ "$status" -eq 0 ]
	wait_pid_gone "$INIT"
	run berth state "$ID"
	[ "$status" -ne 0 ]
	[ ! -d "/sys/fs/cgroup/pids/$ID" ]

	start_sleeper "$ID-2"
	berth delete "$ID-2" -f
	wait_pid_gone "$INIT"
	[ -z "$(berth list -q)" ]
}

@test "compat cli: run ID -d --bundle B and create ID --bundle B take the flags after the ID" {
	set_cmd 'echo ready > /host/ready; exec sleep 300'
	(cd / && berth run "$ID" -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID")" \
		</dev/null >/dev/null 2>"$(cerr "$ID")") || { cat "$(cerr "$ID")"; false; }
	track_pid "$(cat "$(pidfile "$ID")")"
	wait_for_file "$HOSTDIR/ready"
	[ "$(status_of "$ID")" = running ]
	[ "$(cat "$(pidfile "$ID")")" = "$(pid_of "$ID")" ]
	update_config --arg p "/$ID-2" '.linux.cgroupsPath = $p'
	(cd / && berth create "$ID-2" --bundle "$BUNDLE" --pid-file "$(pidfile "$ID-2")" \
		</dev/null >/dev/null 2>"$(cerr "$ID-2")") || { cat "$(cerr "$ID-2")"; false; }
	track_pid "$(cat "$(pidfile "$ID-2")")"
	[ "$(status_of "$ID-2")" = created ]
}

@test "compat cli: surplus arguments are an error, and change nothing" {
	start_sleeper
	local cmd
	# each of these would act on $ID if the extra argument were ignored
	for cmd in "delete --force $ID extra" "delete $ID --force extra" "update --pids-limit 5 $ID extra" \
		"pause $ID extra" "kill $ID KILL extra" "start $ID extra" "events --stats $ID extra"; do
		# shellcheck disable=SC2086
		run --separate-stderr berth $cmd
		echo "$cmd: status=$status stderr=$stderr"
		[ "$status" -ne 0 ]
		[ -n "$stderr" ]
		[ "$(status_of "$ID")" = running ]
		pid_alive "$INIT"
	done
	[ "$(cat "/sys/fs/cgroup/pids/$ID/pids.max")" = max ]
	for cmd in "state $ID $ID" "list extra" "features extra"; do
		# shellcheck disable=SC2086
		run --separate-stderr berth $cmd
		echo "$cmd: status=$status output=$output stderr=$stderr"
		[ "$status" -ne 0 ]
	done
	# spec with an argument writes no config.json
	mkdir "$BATS_TEST_TMPDIR/sp"
	run --separate-stderr bash -c "cd '$BATS_TEST_TMPDIR/sp' && '$BERTH' spec extra"
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/sp/config.json" ]
	[ "$(status_of "$ID")" = running ]
}

# --- repeatable flags -------------------------------------------------------------------

@test "compat cli: exec -e keeps commas in the value" {
	start_sleeper
	run --separate-stderr berth exec -e A=x,y -e B=1,2,3 "$ID" sh -c 'echo "$A|$B"'
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "x,y|1,2,3" ]
}

@test "compat cli: exec --cgroup cpu,cpuacct:sub joins both sub-cgroups; --cgroup / is the container's" {
	[ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/cpuacct ] || skip "host has no v1 cpu and cpuacct hierarchies"
	start_sleeper
	mkdir "/sys/fs/cgroup/cpu/$ID/sub" "/sys/fs/cgroup/cpuacct/$ID/sub"
	run --separate-stderr berth exec --cgroup cpu,cpuacct:sub "$ID" cat /proc/self/cgroup
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	# (without a cgroup namespace the path is the host's, /$ID/sub)
	grep -Eqx "[0-9]+:cpu:(/$ID)?/sub" <<<"$output"
	grep -Eqx "[0-9]+:cpuacct:(/$ID)?/sub" <<<"$output"
	grep -Eqx "[0-9]+:pids:(/$ID|/)" <<<"$output"

	run --separate-stderr berth exec --cgroup / "$ID" cat /proc/self/cgroup
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	grep -Eqx "[0-9]+:cpu:(/$ID|/)" <<<"$output"
	grep -Eqx "[0-9]+:pids:(/$ID|/)" <<<"$output"
	rmdir "/sys/fs/cgroup/cpu/$ID/sub" "/sys/fs/cgroup/cpuacct/$ID/sub"
}

# --- exec's exit status ------------------------------------------------------------------

@test "compat cli: exec exits 255 when the runtime fails, and with the process's status otherwise" {
	start_sleeper
	run --separate-stderr berth exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run --separate-stderr berth exec "$ID-nosuch" true
	echo "$stderr"
	[ "$status" -eq 255 ]
	[[ "$stderr" == *"does not exist"* ]]
	run --separate-stderr berth exec "$ID" /nonexistent
	echo "$stderr"
	[ "$status" -eq 255 ]
	run --separate-stderr berth exec --pid-file "$BATS_TEST_TMPDIR/no/such/dir/pid" "$ID" sleep 100
	echo "$stderr"
	[ "$status" -eq 255 ]
	sleep 0.2
	# the process does not stay behind in the container
	[ "$(berth ps --format json "$ID")" = "[$INIT]" ]

	berth pause "$ID"
	PAUSED=$ID
	run --separate-stderr berth exec "$ID" sh -c 'touch /host/ran'
	echo "$stderr"
	[ "$status" -eq 255 ]
	[[ "$stderr" == *"cannot exec in a paused container (use --ignore-paused to override)"* ]]
	berth resume "$ID"
	PAUSED=
	sleep 0.2
	[ ! -e "$HOSTDIR/ran" ]
	[ "$(berth ps --format json "$ID")" = "[$INIT]" ]
}

# --- kill ----------------------------------------------------------------------------------

@test "compat cli: kill ID 0 checks that the container is alive, and sends nothing" {
	set_cmd 'trap "echo got >> /host/sigs" HUP TERM INT USR1 USR2; echo ready > /host/ready; while :; do sleep 0.05; done'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	run --separate-stderr berth kill "$ID" 0
	echo "$stderr"
	[ "$status" -eq 0 ]
	sleep 0.2
	[ "$(status_of "$ID")" = running ]
	[ ! -e "$HOSTDIR/sigs" ]
	berth kill "$ID" KILL
	wait_for_status "$ID" stopped
	# a stopped container is not alive
	run --separate-stderr berth kill "$ID" 0
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not running"* ]]
}

@test "compat cli: kill ID KILL without a pid namespace kills every process of the cgroup, also after init" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	# (no pid namespace: $! is the host pid)
	set_cmd 'sleep 300 & echo $! > /host/child; echo ready > /host/ready; exec sleep 301'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local child init
	child=$(cat "$HOSTDIR/child")
	init=$(pid_of "$ID")
	track_pid "$child"
	pid_alive "$child"
	berth kill "$ID" KILL
	wait_pid_gone "$init"
	wait_pid_gone "$child"
	berth delete "$ID"

	# init gone first (killed from outside): its child is still in the cgroup
	rm -f "$HOSTDIR/ready" "$HOSTDIR/child"
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	child=$(cat "$HOSTDIR/child")
	track_pid "$child"
	kill -9 "$(pid_of "$ID")"
	wait_for_status "$ID" stopped
	pid_alive "$child"
	run --separate-stderr berth kill "$ID" KILL
	echo "$stderr"
	[ "$status" -eq 0 ]
	wait_pid_gone "$child"
}

# --- list and ps output ------------------------------------------------------------------

@test "compat cli: list --format json is one compact line" {
	start_sleeper
	update_config --arg p "/$ID-2" '.linux.cgroupsPath = $p'
	start_sleeper "$ID-2"
	run --separate-stderr berth list --format json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg a "$ID" --arg b "$ID-2" 'type == "array" and length == 2 and ([.[].id] | sort) == ([$a, $b] | sort)' <<<"$output"
	[ "$(jq -c . <<<"$output")" = "$output" ]
}

@test "compat cli: list with a --root that does not exist fails, naming it" {
	start_sleeper
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/no-such-root" list 3>&-
	echo "$output $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/no-such-root"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/no-such-root" ]
	# an existing empty one lists nothing, without an error
	mkdir "$BATS_TEST_TMPDIR/empty-root"
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/empty-root" list -q 3>&-
	[ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "compat cli: ps prints ps(1)'s header verbatim, and the container's processes" {
	start_sleeper
	run --separate-stderr berth ps "$ID" -o pid,comm
	echo "$output"
	[ "$status" -eq 0 ]
	# right-aligned PID: the header starts with blanks, as ps(1) prints it
	[ "${lines[0]}" = "$(ps -o pid,comm | head -1)" ]
	[[ "${lines[0]}" == " "* ]]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(awk '{print $1}' <<<"${lines[1]}")" = "$INIT" ]
	[ "$(awk '{print $2}' <<<"${lines[1]}")" = sleep ]
}

# --- spec -------------------------------------------------------------------------------------

@test "compat cli: spec has a cgroup namespace only on a pure cgroup v2 host" {
	local v2=
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && v2=1
	# make_bundle's config.json is spec's
	run jq -e '[.linux.namespaces[] | select(.type == "cgroup")] | length == 1' "$BUNDLE/config.json"
	if [ -n "$v2" ]; then [ "$status" -eq 0 ]; else [ "$status" -ne 0 ]; fi
	set_cmd 'cat /proc/self/cgroup > /host/cgroup; echo ready > /host/ready-$0; exec sleep 300'
	update_config '.process.args += ["'"$ID"'"]'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready-$ID"
	if [ -n "$v2" ]; then
		[ "$(ns_inode "$(pid_of "$ID")" cgroup)" != "$(ns_inode $$ cgroup)" ]
		grep -qx '0::/' "$HOSTDIR/cgroup"
	else
		# the host's cgroup namespace: the container sees its cgroups at their host paths
		[ "$(ns_inode "$(pid_of "$ID")" cgroup)" = "$(ns_inode $$ cgroup)" ]
		grep -Eqx "[0-9]+:pids:/$ID" "$HOSTDIR/cgroup"
	fi
}

# --- checkpoint / restore --------------------------------------------------------------------

@test "compat cli: checkpoint and restore exist, list runc's flags, and fail clearly leaving the container be" {
	local f
	run --separate-stderr berth checkpoint -h
	[ "$status" -eq 0 ]
	for f in image-path work-path parent-path leave-running tcp-established ext-unix-sk shell-job \
		file-locks pre-dump manage-cgroups-mode; do
		[[ "$output" == *"--$f"* ]] || { echo "checkpoint -h lacks --$f: $output"; false; }
	done
	run --separate-stderr berth restore -h
	[ "$status" -eq 0 ]
	for f in image-path work-path tcp-established ext-unix-sk shell-job file-locks manage-cgroups-mode \
		bundle detach pid-file console-socket; do
		[[ "$output" == *"--$f"* ]] || { echo "restore -h lacks --$f: $output"; false; }
	done

	start_sleeper
	run --separate-stderr berth checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "${stderr,,}" == *criu* ]]
	# the container runs on, untouched
	[ "$(status_of "$ID")" = running ]
	pid_alive "$INIT"
	[ "$(berth ps --format json "$ID")" = "[$INIT]" ]
	run --separate-stderr berth checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$ID-nosuch"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]

	update_config --arg p "/$ID-r" '.linux.cgroupsPath = $p'
	run --separate-stderr berth restore --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" "$ID-r"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "${stderr,,}" == *criu* ]]
	run berth state "$ID-r"
	[ "$status" -ne 0 ]
	[ "$(berth list -q)" = "$ID" ]
}
