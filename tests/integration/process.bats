#!/usr/bin/env bats
# process: args, env, cwd, user, umask, rlimits, oomScoreAdj, noNewPrivileges.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

@test "process.args: passed exactly, including spaces and empty strings" {
	update_config '.process.args = ["/bin/sh", "-c", "for a in \"$@\"; do echo \"[$a]\"; done", "argv0", "one", "two words", "", "*"]'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "[one]
[two words]
[]
[*]" ]
}

@test "process.args: args[0] is looked up in the container's PATH" {
	update_config '.process.env = ["PATH=/usr/sbin:/sbin:/bin"] | .process.args = ["busybox", "echo", "found"]'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = found ]
}

@test "process.env: exactly the configured environment, nothing from the caller" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "A=1", "B=two words", "EMPTY="]'
	set_cmd 'env | sort'
	FOO_FROM_HOST=leak run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" != *FOO_FROM_HOST* ]]
	grep -qx 'A=1' <<<"$output"
	grep -qx 'B=two words' <<<"$output"
	grep -qx 'EMPTY=' <<<"$output"
	grep -qx 'PATH=/bin:/usr/bin' <<<"$output"
	# only HOME may be added (runc sets it from /etc/passwd when missing)
	[ -z "$(grep -v -e '^A=' -e '^B=' -e '^EMPTY=' -e '^PATH=' -e '^HOME=' <<<"$output" | grep -v -e '^PWD=' -e '^SHLVL=')" ]
}

@test "process.cwd: the process starts in the configured directory" {
	mkdir -p "$BUNDLE/rootfs/work/dir"
	update_config '.process.cwd = "/work/dir"'
	set_cmd 'pwd; ls -d ../dir'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /work/dir ]
	[ "${lines[1]}" = ../dir ]
}

@test "process.cwd: a cwd that does not exist is created inside the rootfs (runc behaviour)" {
	update_config '.process.cwd = "/does/not/exist"'
	set_cmd 'pwd'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = /does/not/exist ]
	[ -d "$BUNDLE/rootfs/does/not/exist" ]
	[ ! -e /does/not/exist ]
}

@test "process.cwd: a cwd through a symlink pointing out of the rootfs stays inside it" {
	# /escape -> $HOSTDIR (an absolute host path): must resolve inside the rootfs
	ln -s "$HOSTDIR" "$BUNDLE/rootfs/escape"
	update_config '.process.cwd = "/escape/sub"'
	set_cmd 'pwd; touch here'
	run_fg "$ID"
	# either refused, or created inside the rootfs: never on the host
	[ ! -e "$HOSTDIR/sub" ]
	[ -z "$(ls -A "$HOSTDIR")" ]
	if [ "$status" -eq 0 ]; then
		[ -e "$BUNDLE/rootfs/$HOSTDIR/sub/here" ]
	fi
}

@test "process.cwd: a relative cwd is refused" {
	update_config '.process.cwd = "relative/dir"'
	set_cmd 'pwd'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" =~ [Cc]wd ]]
	assert_nothing_left
}

@test "process.user: uid, gid and additionalGids (id and /proc/self/status)" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [29, 4000]}'
	set_cmd 'id; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000 gid=1001 groups=29(audio),4000" ]
	[[ "${lines[1]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[2]}" =~ ^Gid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$ ]]
	[[ "${lines[3]}" =~ ^Groups:[[:space:]]+29\ 4000[[:space:]]*$ ]]
}

@test "process.user: a non-root user has no supplementary groups unless configured" {
	update_config '.process.user = {"uid": 65534, "gid": 65534}'
	set_cmd 'id -u; id -g; grep "^Groups:" /proc/self/status'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = 65534 ]
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]*$ ]]
}

@test "process.user.umask: applied (0027 -> new files are 0640)" {
	update_config '.process.user.umask = 23'
	set_cmd 'umask; rm -f /tmp/f; touch /tmp/f; stat -c %a /tmp/f'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0027 ]
	[ "${lines[1]}" = 640 ]
}

@test "process.rlimits: RLIMIT_NOFILE soft and hard are exactly the configured values" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]'
	set_cmd 'ulimit -n; ulimit -Hn'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 456 ]
}

@test "process.rlimits: RLIMIT_NOFILE equal soft and hard (the default spec's 1024)" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}]'
	set_cmd 'ulimit -n; ulimit -Hn'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "1024
1024" ]
}

@test "process.rlimits: RLIMIT_NPROC and RLIMIT_CORE (/proc/self/limits)" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NPROC", "soft": 77, "hard": 88},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 1048576}]'
	set_cmd 'ulimit -u; ulimit -Hu; grep -E "^Max (processes|core file size)" /proc/self/limits'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 77 ]
	[ "${lines[1]}" = 88 ]
	[[ "$output" =~ Max\ core\ file\ size\ +0\ +1048576\ +bytes ]]
	[[ "$output" =~ Max\ processes\ +77\ +88\ +processes ]]
}

@test "process.rlimits: an unknown rlimit type is an error" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *RLIMIT_BOGUS* ]]
	assert_nothing_left
}

@test "process.rlimits: without rlimits the caller's RLIMIT_NOFILE is inherited unchanged" {
	# Go raises its own soft RLIMIT_NOFILE at start-up; that must not leak into the
	# container (runtime-spec: only configured rlimits are set).
	skip_if_runc "1.1.5 (built with Go >= 1.19) leaks the Go runtime's raised soft RLIMIT_NOFILE into the container (fixed in later runc)"
	update_config 'del(.process.rlimits)'
	set_cmd 'ulimit -n; ulimit -Hn'
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -gt 512 ] || skip "hard RLIMIT_NOFILE too low here"
	run --separate-stderr bash -c "ulimit -Sn 500; exec \"\$@\"" -- "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 500 ]
	[ "${lines[1]}" = "$hard" ]
}

@test "process.oomScoreAdj: applied (/proc/self/oom_score_adj)" {
	update_config '.process.oomScoreAdj = 567'
	set_cmd 'cat /proc/self/oom_score_adj'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 567 ]
	# the runtime's own process is not changed
	[ "$(cat /proc/self/oom_score_adj)" != 567 ]
}

@test "process.oomScoreAdj: visible from the host on the container process" {
	# (a positive value: lowering it needs CAP_SYS_RESOURCE, which CI machines may lack)
	update_config '.process.oomScoreAdj = 321'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	[ "$(cat "/proc/$(pid_of "$ID")/oom_score_adj")" = 321 ]
}

@test "process.noNewPrivileges: true sets NoNewPrivs" {
	update_config '.process.noNewPrivileges = true'
	set_cmd 'grep "^NoNewPrivs:" /proc/self/status'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+1$ ]]
}

@test "process.noNewPrivileges: false leaves NoNewPrivs off" {
	update_config '.process.noNewPrivileges = false'
	set_cmd 'grep "^NoNewPrivs:" /proc/self/status'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+0$ ]]
}

@test "process: without a terminal, the container inherits the runtime's stdio" {
	set_cmd 'tty; echo "rc=$?"; stat -L -c "%F %t:%T" /proc/self/fd/0; for f in 1 2; do stat -L -c "%d:%i" /proc/self/fd/$f; done'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	local out
	out=$(cat "$(cout "$ID")")
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" = "not a tty" ]
	[ "$(sed -n 2p <<<"$out")" = "rc=1" ]
	# the very files create was given: /dev/null (runc reopens it from the container's
	# /dev, so only the device number is compared), and our two output files
	[ "$(sed -n 3p <<<"$out")" = "character special file 1:3" ]
	[ "$(sed -n 4p <<<"$out")" = "$(stat -c '%d:%i' "$(cout "$ID")")" ]
	[ "$(sed -n 5p <<<"$out")" = "$(stat -c '%d:%i' "$(cerr "$ID")")" ]
}

@test "process: foreground run without a terminal: not a tty, stdin passed through" {
	set_cmd 'tty; echo "rc=$?"; cat'
	run --separate-stderr berth run --bundle "$BUNDLE" "$ID" <<<"from-stdin"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "not a tty" ]
	[ "${lines[1]}" = "rc=1" ]
	[ "${lines[2]}" = "from-stdin" ]
}

@test "process: personality, ioPriority, scheduler and execCPUAffinity are applied" {
	skip_if_runc "1.1.5 applies none of ioPriority, scheduler, execCPUAffinity, personality"
	update_config '.linux.personality = {"domain": "LINUX32"}
		| .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}
		| .process.execCPUAffinity = {"final": "0"}'
	set_cmd 'cat /proc/self/personality; ionice; grep -E "^policy" /proc/self/sched | tr -d " "; grep Cpus_allowed_list /proc/self/status; cut -d" " -f19 /proc/self/stat'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 00000008 ]            # PER_LINUX32
	[ "${lines[1]}" = idle ]
	[ "${lines[2]}" = "policy:3" ]          # SCHED_BATCH
	[ "${lines[3]}" = "$(printf 'Cpus_allowed_list:\t0')" ]
	[ "${lines[4]}" = 5 ]                   # nice
}
