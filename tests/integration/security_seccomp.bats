#!/usr/bin/env bats
# linux.seccomp, seen from inside the container: ERRNO with and without errnoRet,
# argument conditions, the KILL family and TRAP, a profile that forbids what the runtime
# itself needs before execve (the filter is loaded last), errors at create, and
# SCMP_ACT_NOTIFY end to end with an agent at listenerPath (tests/cmd/seccompagent).

load helpers

setup_file() {
	SECCOMPAGENT=$(build_test_cmd seccompagent) || return 1
	export SECCOMPAGENT
}

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

# seccomp JSON: linux.seccomp = JSON
seccomp() {
	update_config --argjson s "$1" '.linux.seccomp = $s'
}

# errno values (asm-generic/errno.h) and their glibc messages
EDQUOT=122

@test "seccomp: SCMP_ACT_ERRNO fails the call with errnoRet, or EPERM without; exec'd processes get the filter too" {
	mkdir "$BUNDLE/rootfs/empty-dir"
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": '"$EDQUOT"'},
		{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'grep -E "^Seccomp(_filters)?:" /proc/self/status; mkdir /tmp/d 2>&1; echo "mkdir=$?"; rmdir /empty-dir 2>&1; echo "rmdir=$?"; touch /tmp/f && echo touch-ok'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'Seccomp:\t2')" ]
	[ "${lines[1]}" = "$(printf 'Seccomp_filters:\t1')" ]
	[[ "$output" == *"Disk quota exceeded"* ]]
	grep -qx 'mkdir=1' <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
	grep -qx 'rmdir=1' <<<"$output"
	grep -qx 'touch-ok' <<<"$output"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	[ -d "$BUNDLE/rootfs/empty-dir" ]
	# exec: the container's profile applies to every process in it
	update_config '.process.args = ["sleep", "100"]'
	run_detached "$ID-2"
	run --separate-stderr berth exec "$ID-2" mkdir /tmp/from-exec </dev/null
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Disk quota exceeded"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/from-exec" ]
}

@test "seccomp: argument conditions (SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ) select which calls fail" {
	# chmod(path, mode) has the mode as argument 1, fchmodat(dirfd, path, mode) as 2
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]},
		{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]},
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": '"$EDQUOT"', "args": [{"index": 1, "value": 2, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": '"$EDQUOT"', "args": [{"index": 2, "value": 2, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	set_cmd 'touch /tmp/f; for m in 755 700 703 704; do chmod $m /tmp/f 2>&1; echo "$m=$? $(stat -c %a /tmp/f)"; done'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	grep -qx '755=0 755' <<<"$output"
	# 0700 == 448: EPERM, the mode is unchanged
	grep -qx '700=1 755' <<<"$output"
	[[ "$output" == *"Operation not permitted"* ]]
	# 0703 & 02 == 02 (world-writable): EDQUOT
	grep -qx '703=1 755' <<<"$output"
	[[ "$output" == *"Disk quota exceeded"* ]]
	grep -qx '704=0 704' <<<"$output"
}

@test "seccomp: SCMP_ACT_KILL, KILL_THREAD, KILL_PROCESS and TRAP end the caller with SIGSYS" {
	local action
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS SCMP_ACT_TRAP; do
		# sethostname: only `hostname NAME` calls it (the filter acts before any permission
		# check). A child of the shell makes the call: it dies, the shell goes on.
		seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sethostname"], "action": "'"$action"'"}]}'
		set_cmd 'hostname other; echo "rc=$?"'
		run_fg "$ID-${action#SCMP_ACT_}"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "rc=159" ] # 128 + SIGSYS (31)
	done
	# the container's own process: run's exit status is 128 + SIGSYS
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	update_config '.process.args = ["hostname", "other"]'
	run_fg "$ID"
	[ "$status" -eq 159 ]
	[ -z "$output$stderr" ]
}

@test "seccomp: the filter is loaded last: a profile forbidding chdir, getcwd, mount, setuid... does not break start-up" {
	skip_if_runc "1.1.5 loads the filter before switching to process.user when noNewPrivileges is false (setgroups: operation not permitted)"
	# everything the runtime's init does before execve, forbidden to the container
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [
		"chdir", "fchdir", "getcwd", "mount", "umount2", "pivot_root", "chroot", "sethostname",
		"setdomainname", "setgroups", "setresuid", "setresgid", "setuid", "setgid", "mknodat",
		"mknod", "symlinkat", "openat2", "unshare", "setns", "keyctl", "mount_setattr",
		"open_tree", "fsopen", "move_mount"], "action": "SCMP_ACT_ERRNO"}]}'
	mkdir -p "$BUNDLE/rootfs/work"
	chmod 777 "$BUNDLE/rootfs/work"
	update_config '.hostname = "filtered" | .process.cwd = "/work" | .process.noNewPrivileges = false
		| .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [2000]}'
	set_cmd 'hostname; id; readlink /proc/self/cwd; cd / 2>&1; echo "cd=$?"; hostname other 2>&1; echo "sethostname=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = filtered ]
	[ "${lines[1]}" = "uid=1000 gid=1000 groups=2000" ]
	[ "${lines[2]}" = /work ]
	# and the container is denied them
	grep -qx 'cd=[1-9][0-9]*' <<<"$output"
	grep -qx 'sethostname=[1-9][0-9]*' <<<"$output"
}

@test "seccomp: a profile berth cannot apply is an error of create naming the field" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *SCMP_ACT_BOGUS* ]]
	assert_nothing_left
	skip_if_runc "1.1.5 does not name the field (the rest was checked)"
	[[ "$stderr" == *"linux.seccomp.syscalls[0]"* ]]
}

# --- SCMP_ACT_NOTIFY --------------------------------------------------------------------

# start_agent: the notify agent on $SOCK, its states in $STATES, its answers in $ANSWERS.
start_agent() {
	SOCK=$BATS_TEST_TMPDIR/agent.sock
	STATES=$BATS_TEST_TMPDIR/states
	ANSWERS=$BATS_TEST_TMPDIR/answers
	"$SECCOMPAGENT" -state "$STATES" -log "$ANSWERS" -timeout 60s "$SOCK" \
		</dev/null >"$BATS_TEST_TMPDIR/agent.out" 2>&1 3>&- &
	AGENT=$!
	defer kill "$AGENT"
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/agent.out"
	return 1
}

notify_profile() {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$SOCK"'", "listenerMetadata": "berth-test-meta",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
}

@test "seccomp NOTIFY: the agent at listenerPath gets the listener and the state, and its answers are what the container sees" {
	start_agent
	notify_profile
	set_cmd 'mkdir /tmp/allowed && echo allowed-ok
		mkdir /tmp/fake-dir && echo fake-ok; [ -d /tmp/fake-dir ] || echo fake-absent
		mkdir /tmp/refused 2>&1; echo "refused=$?"
		exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(cat "$(pidfile "$ID")")
	# the state came at create, before the process ran: one connection so far
	wait_for_file "$STATES"
	cat "$STATES"
	[ "$(wc -l <"$STATES")" = 1 ]
	jq -e --arg id "$ID" --arg b "$BUNDLE" --argjson pid "$pid" '
		.ociVersion != null and .fds == ["seccompFd"] and .pid == $pid
		and .metadata == "berth-test-meta"
		and .state.id == $id and .state.pid == $pid and .state.bundle == $b
		and .state.status == "creating"' "$STATES"
	berth start "$ID"
	wait_for_line "$(cout "$ID")" "refused=1"
	cat "$(cout "$ID")" "$ANSWERS"
	grep -qx allowed-ok "$(cout "$ID")"
	grep -qx fake-ok "$(cout "$ID")"
	grep -qx fake-absent "$(cout "$ID")"
	grep -q "Exchange full" "$(cout "$ID")"
	# the agent decided: one call let through, one faked, one refused
	[ -d "$BUNDLE/rootfs/tmp/allowed" ]
	[ ! -e "$BUNDLE/rootfs/tmp/fake-dir" ]
	[ ! -e "$BUNDLE/rootfs/tmp/refused" ]
	grep -qE '^mkdir(at)? /tmp/allowed CONTINUE$' "$ANSWERS"
	grep -qE '^mkdir(at)? /tmp/fake-dir FAKE-SUCCESS$' "$ANSWERS"
	grep -qE '^mkdir(at)? /tmp/refused EXFULL$' "$ANSWERS"
	# exec: a new listener, sent with the running container's state
	run --separate-stderr berth exec "$ID" sh -c 'mkdir /tmp/refused-exec 2>&1; mkdir /tmp/allowed-exec && echo exec-ok' </dev/null
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Exchange full"* ]]
	[[ "$output" == *exec-ok* ]]
	[ "$(wc -l <"$STATES")" = 2 ]
	tail -1 "$STATES" | jq -e --arg id "$ID" '.fds == ["seccompFd"] and .state.id == $id and .metadata == "berth-test-meta"'
	grep -qE '^mkdir(at)? /tmp/refused-exec EXFULL$' "$ANSWERS"
	[ -d "$BUNDLE/rootfs/tmp/allowed-exec" ]
}

@test "seccomp NOTIFY: no agent listening at listenerPath is an error of create naming it, nothing left" {
	SOCK=$BATS_TEST_TMPDIR/nobody.sock
	notify_profile
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$SOCK"* ]]
	assert_nothing_left
}
