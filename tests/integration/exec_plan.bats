#!/usr/bin/env bats
# exec through the C stage's plan (issue 17): the parent compiles the process's settings
# into a plan that the C stage runs after joining the container, down to execve, with no
# Go runtime in the exec'd process. What the process gets, seen from inside and from the
# host; errors of a late step (rlimits) and of process.cwd named by their config field on
# the runtime's stderr; the exec'd process cannot reach the runtime's binary.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.process.args = ["sleep", "1000"]
		| .linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]'
}
teardown() { teardown_berth; }

start_ctr() {
	run_detached "$ID"
	INIT=$(pid_of "$ID")
	[ -n "$INIT" ] && [ "$INIT" != 0 ]
}

# process_json FILE JQ: the container's process with JQ applied, as exec --process takes it
process_json() {
	jq ".process | $2" "$BUNDLE/config.json" >"$1"
}

# exec_fg ARGS...: foreground exec under `run --separate-stderr`, stdin /dev/null
exec_fg() {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" "$@" </dev/null 3>&-
	printf '%s: status=%s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$*" "$status" "$output" "$stderr"
}

# in_container_only: the container's pid namespace holds only its init again
in_container_only() {
	local ino procs i
	ino=$(stat -Lc %i "/proc/$INIT/ns/pid")
	for i in $(seq 40); do
		procs=$(stat -Lc '%i %n' /proc/[0-9]*/ns/pid 2>/dev/null | awk -v i="$ino" '$1 == i { split($2, a, "/"); printf "%s ", a[3] }')
		[ "$procs" = "$INIT " ] && return 0
		sleep 0.05
	done
	echo "left in the container: $procs" >&2
	return 1
}

@test "exec plan: user, groups, umask, rlimits, capabilities, no_new_privs, cwd, HOME as the process sees them" {
	start_ctr
	local p=$BATS_TEST_TMPDIR/p.json
	process_json "$p" '.args = ["sh", "-c", "umask; grep -E \"^(Uid|Gid|Groups|CapEff|CapBnd|CapPrm|CapAmb|NoNewPrivs):\" /proc/self/status; grep \"open files\" /proc/self/limits; pwd; echo HOME=$HOME"]
		| .user = {"uid": 1, "gid": 1, "additionalGids": [29], "umask": 23}
		| .cwd = "/tmp" | .env = ["PATH=/bin"] | .noNewPrivileges = true
		| .rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]
		| .capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	exec_fg exec --process "$p" "$ID"
	[ "$status" -eq 0 ]
	# runc 1.5.3 leaves process.user.umask of an exec'd process at its own 0022
	is_runc || [[ "$output" == *0027* ]]
	grep -qE '^Uid:\s+1\s+1\s+1\s+1$' <<<"$output"
	grep -qE '^Gid:\s+1\s+1\s+1\s+1$' <<<"$output"
	grep -qE '^Groups:\s+29\s*$' <<<"$output"
	# CAP_CHOWN 0, CAP_KILL 5
	grep -qE "^CapBnd:\s+$(capmask 0 5)$" <<<"$output"
	grep -qE "^CapEff:\s+$(capmask 5)$" <<<"$output"
	grep -qE "^CapPrm:\s+$(capmask 5)$" <<<"$output"
	grep -qE "^CapAmb:\s+$(capmask 5)$" <<<"$output"
	grep -qE '^NoNewPrivs:\s+1$' <<<"$output"
	grep -qE '^Max open files\s+100\s+200\s' <<<"$output"
	grep -qx /tmp <<<"$output"
	# no HOME given: uid 1's home in the image's /etc/passwd
	grep -qx HOME=/usr/sbin <<<"$output"
	in_container_only
}

@test "exec plan: a detached process, seen from the host: credentials, limits, cwd, exe" {
	start_ctr
	local p=$BATS_TEST_TMPDIR/p.json pid
	process_json "$p" '.args = ["sleep", "100"] | .user = {"uid": 65534, "gid": 65534}
		| .cwd = "/etc" | .rlimits = [{"type": "RLIMIT_NOFILE", "soft": 50, "hard": 60}]'
	berth exec -d --pid-file "$BATS_TEST_TMPDIR/e.pid" --process "$p" "$ID" </dev/null >/dev/null 2>&1
	pid=$(cat "$BATS_TEST_TMPDIR/e.pid")
	track_pid "$pid"
	grep -qE '^Uid:\s+65534\s+65534\s+65534\s+65534$' "/proc/$pid/status"
	grep -qE '^Max open files\s+50\s+60\s' "/proc/$pid/limits"
	[ "$(readlink "/proc/$pid/cwd")" = "$BUNDLE/rootfs/etc" ] || [ "$(readlink "/proc/$pid/cwd")" = /etc ]
	# the process runs the image's busybox, not anything of the runtime's (CVE-2019-5736)
	[ "$(stat -Lc %i "/proc/$pid/exe")" = "$(stat -Lc %i "$BUNDLE/rootfs/bin/busybox")" ]
	# only stdio reaches it
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	kill -9 "$pid"
	in_container_only
}

@test "exec plan: an rlimit the kernel refuses is an error naming process.rlimits[N]; nothing runs" {
	start_ctr
	local p=$BATS_TEST_TMPDIR/p.json
	# a hard RLIMIT_NOFILE above fs.nr_open: setrlimit says EPERM, even to root
	process_json "$p" '.args = ["touch", "/host/ran"]
		| .rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}, {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4294967296}]'
	exec_fg exec --process "$p" "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$HOSTDIR/ran" ]
	if ! is_runc; then
		[[ "$stderr" == *'process.rlimits[1]: setrlimit RLIMIT_NOFILE (soft 1024, hard 4294967296): operation not permitted'* ]]
	fi
	in_container_only
	[ "$(status_of "$ID")" = running ]
}

@test "exec plan: a missing process.cwd names the field and the path; nothing runs" {
	start_ctr
	exec_fg exec --cwd /no/such/dir "$ID" touch /host/ran
	[ "$status" -ne 0 ]
	[ ! -e "$HOSTDIR/ran" ]
	[[ "$stderr" == */no/such/dir* ]]
	if ! is_runc; then
		[[ "$stderr" == *'process.cwd: /no/such/dir: no such file or directory'* ]]
	fi
	in_container_only
}

@test "exec plan: a file that is not executable is 'permission denied' (Podman: 126)" {
	start_ctr
	exec_fg exec "$ID" /etc/passwd
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'/etc/passwd'*': permission denied'* ]]
	in_container_only
}

@test "exec plan: the process starts from the C stage, with no Go init (--debug records)" {
	skip_if_runc "its exec runs runc's Go init; this checks berth's C executor"
	start_ctr
	local log=$BATS_TEST_TMPDIR/debug.log
	exec_fg --debug --log "$log" --log-format json exec "$ID" true
	[ "$status" -eq 0 ]
	cat "$log"
	# the stage ran the plan's steps (the log pipe closes at ready, before the last ones)
	grep -q 'exec plan: step 15 (process.user)' "$log"
	grep -q 'exec plan: ready; next: the rest of the plan, execve /bin/true' "$log"
	# and no Go init took part (its records say "init: <step>: done")
	! grep -q '"msg":"init: ' "$log" || false
	in_container_only
}

@test "exec plan: personality, oomScoreAdj, ioPriority, scheduler and execCPUAffinity reach the process" {
	update_config '.linux.personality = {"domain": "LINUX32"} | .process.oomScoreAdj = 300'
	start_ctr
	local p=$BATS_TEST_TMPDIR/p.json
	process_json "$p" '.args = ["sh", "-c", "cat /proc/self/personality; ionice; grep -E \"^policy\" /proc/self/sched | tr -d \" \"; grep Cpus_allowed_list /proc/self/status; cut -d\" \" -f19 /proc/self/stat; cat /proc/self/oom_score_adj"]
		| .ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
		| .scheduler = {"policy": "SCHED_BATCH", "nice": 5}
		| .execCPUAffinity = {"final": "0"}'
	exec_fg exec --process "$p" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 00000008 ]            # PER_LINUX32
	[ "${lines[1]}" = idle ]
	[ "${lines[2]}" = "policy:3" ]          # SCHED_BATCH
	[ "${lines[3]}" = "$(printf 'Cpus_allowed_list:\t0')" ]
	[ "${lines[4]}" = 5 ]                   # nice
	[ "${lines[5]}" = 300 ]
	in_container_only
}
