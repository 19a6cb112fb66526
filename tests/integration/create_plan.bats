#!/usr/bin/env bats
# create's init as a plan run by the C stage (issue 17): the parent compiles the whole
# init and the C stage runs it, down to execve, with no Go runtime in init (there is no
# other init). The hooks init runs get the state the runtime-spec asks for, the late
# steps' errors name their field, and exec.fifo carries them to start.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
		| .annotations = {"org.berth.test": "create-plan"}'
}
teardown() { teardown_berth; }

# berth_err ARGS...: the runtime under `run --separate-stderr`, stdin /dev/null
berth_err() {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" "$@" </dev/null 3>&-
	printf '%s: status=%s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$*" "$status" "$output" "$stderr"
}

@test "create plan: --debug shows the C stage running create's plan, and no Go init" {
	skip_if_runc "this checks berth's C executor and its --debug records"
	local log=$BATS_TEST_TMPDIR/debug.log
	update_config '.hostname = "planned" | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_cmd 'hostname > /host/out; cat /proc/sys/net/ipv4/ip_forward >> /host/out'
	berth --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	track_pid "$(pid_of "$ID")"
	berth start "$ID"
	wait_for_status "$ID" stopped
	cat "$log"
	[ "$(cat "$HOSTDIR/out")" = "planned
1" ]
	grep -q 'create: init runs from a plan of [0-9]* bytes in the C stage' "$log"
	# the C stage ran the plan's steps up to ready (the log pipe closes there)
	grep -q '"nsenter\[[0-9]*\]: bootstrap: create plan' "$log"
	grep -q 'create plan: step 29 (hostname)' "$log"
	grep -q 'create plan: step 32 (linux.sysctl)' "$log"
	grep -q 'create plan: ready; next: the rest of the plan, execve /bin/sh' "$log"
	# there is no other init: no Go init's records ("init: <step>: done"), no fallback
	! grep -q '"msg":"init: ' "$log" || false
	! grep -q 'init runs in Go' "$log" || false
}

@test "create plan: createContainer and startContainer hooks get the state with init's pid as the container sees it, their own env, only stdio" {
	local hook=$BATS_TEST_TMPDIR/hook.sh
	# hook.sh NAME: the state, the cwd, the environment and the fds of the hook
	cat >"$hook" <<'SH'
#!/bin/sh
d=$(dirname "$0")
cat >"$d/$1.state"
pwd >"$d/$1.cwd"
# (the shell adds PWD; busybox's PATH and SHLVL too)
env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^PATH=' | sort >"$d/$1.env"
ls /proc/self/fd | wc -l >"$d/$1.fds"
SH
	chmod 755 "$hook"
	mkdir -p "$BUNDLE/rootfs/hooks"
	cp "$hook" "$BUNDLE/rootfs/hooks/hook.sh"
	# createContainer runs before pivot_root (a host path; the files land in $HOSTDIR
	# through its directory), startContainer after (a path in the container: /hooks)
	cp "$hook" "$HOSTDIR/hook.sh"
	update_config --arg h "$HOSTDIR/hook.sh" '.hooks = {
		"createContainer": [{"path": $h, "args": ["hook.sh", "cc"], "env": ["A=1", "B=two words"]}],
		"startContainer": [{"path": "/host/hook.sh", "args": ["hook.sh", "sc"], "env": ["C=3"]}]}'
	set_cmd 'echo ran > /host/ran'
	create_container "$ID"
	local st
	st=$(cat "$HOSTDIR/cc.state")
	echo "$st"
	jq -e --arg id "$ID" --arg b "$BUNDLE" '.id == $id and .pid == 1
		and .bundle == $b and .annotations["org.berth.test"] == "create-plan"' <<<"$st"
	# runtime.md lifecycle: the hooks run after the environment was created (step 2)
	if ! is_runc; then # runc 1.5.3 says "creating"
		jq -e '.status == "created"' <<<"$st"
	fi
	# in the rootfs, with its own env only; no fd of the runtime's (ls's own is the 4th)
	[ "$(cat "$HOSTDIR/cc.cwd")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ]
	[ "$(cat "$HOSTDIR/cc.env")" = "A=1
B=two words" ]
	if ! is_runc; then # runc 1.5.3 passes its init's sync socket and exec.fifo to them
		[ "$(cat "$HOSTDIR/cc.fds")" = 4 ]
	fi
	[ ! -e "$HOSTDIR/sc.state" ]
	berth start "$ID"
	wait_for_file "$HOSTDIR/ran"
	st=$(cat "$HOSTDIR/sc.state")
	jq -e --arg id "$ID" '.id == $id and .pid == 1' <<<"$st"
	[ "$(cat "$HOSTDIR/sc.env")" = "C=3" ]
	if ! is_runc; then
		[ "$(cat "$HOSTDIR/sc.fds")" = 4 ]
	fi
}

@test "create plan: a failing createContainer hook names the hook, its exit status and output; nothing is left" {
	update_config '.hooks = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook said no; exit 3"]}]}'
	berth_err create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'createContainer hook #0'*'exit status 3'* ]]
	if ! is_runc; then
		[[ "$stderr" == *'hook said no'* ]]
	fi
	assert_nothing_left
}

@test "create plan: a createContainer hook past its timeout is killed; create fails" {
	update_config '.hooks = {"createContainer": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
	local t0
	t0=$(date +%s)
	berth_err create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ $(($(date +%s) - t0)) -lt 15 ]
	[[ "$stderr" =~ timeout|timed\ out|deadline ]]
	# the hook ran in the container's pid namespace and cgroup: no sleep is left there
	assert_nothing_left
}

@test "create plan: an rlimit the kernel refuses names process.rlimits[N]; the process never runs" {
	# a hard RLIMIT_NOFILE above fs.nr_open: setrlimit says EPERM, even to root
	update_config '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}, {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4294967296}]'
	set_cmd 'echo ran > /host/ran'
	local err
	if create_container "$ID" 2>"$BATS_TEST_TMPDIR/create.err"; then
		# berth sets the rlimits last, after start has released init: start reports it
		berth_err start "$ID"
		[ "$status" -ne 0 ]
		err=$stderr
	else
		err=$(cat "$BATS_TEST_TMPDIR/create.err")
	fi
	echo "$err"
	[[ "$err" == *'operation not permitted'* ]]
	[ ! -e "$HOSTDIR/ran" ]
	if ! is_runc; then
		[[ "$err" == *'process.rlimits[1]: setrlimit '*'(soft 1024, hard 4294967296): operation not permitted'* ]]
	fi
}

@test "create plan: an execve that fails after start (a missing interpreter) is start's error, naming the file" {
	printf '#!/no/such/interpreter\n' >"$BUNDLE/rootfs/bad.sh"
	chmod 755 "$BUNDLE/rootfs/bad.sh"
	update_config '.process.args = ["/bad.sh"]'
	create_container "$ID"
	skip_if_runc "1.5.3's start exits 0 when the execve after it fails"
	berth_err start "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'/bad.sh'*'no such file or directory'* ]]
	wait_for_status "$ID" stopped
}

@test "create plan: a sysctl the kernel lacks fails create naming linux.sysctl and the key; nothing is left" {
	update_config '.linux.sysctl = {"net.ipv4.no_such_sysctl": "1"}'
	berth_err create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no_such_sysctl* ]]
	if ! is_runc; then
		[[ "$stderr" == *'linux.sysctl'*'net.ipv4.no_such_sysctl'*'no such file or directory'* ]]
	fi
	assert_nothing_left
}

@test "create plan: exec.fifo: an init killed while it waits makes start fail, not hang" {
	set_cmd 'echo ran > /host/ran'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	kill -9 "$pid"
	wait_pid_gone "$pid"
	berth_err start "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$HOSTDIR/ran" ]
	if ! is_runc; then
		[[ "$stderr" == *"$ID"* ]]
	fi
}

@test "create plan: exec.fifo: a successful start is reported once the process has executed; a second start fails" {
	set_cmd 'echo ran > /host/ran; exec sleep 100'
	create_container "$ID"
	[ -p "$ROOT/$ID/exec.fifo" ] || is_runc
	berth start "$ID"
	wait_for_file "$HOSTDIR/ran"
	[ "$(status_of "$ID")" = running ]
	berth_err start "$ID"
	[ "$status" -ne 0 ]
}

# The init of a container with its own pid namespace is that namespace's reaper: the
# kernel drops every signal it has no handler for, but SIGKILL. runc's Go init ends on
# SIGTERM, SIGINT, SIGHUP (and SIGQUIT); so must berth's, or `kill ID` of a created
# container (SIGTERM, the default) does nothing and a client's stop waits out its timeout.
@test "create plan: a created container's init ends on kill TERM, INT and HUP, though it reaps a pid namespace" {
	set_cmd 'echo ran > /host/ran'
	local sig pid
	for sig in TERM INT HUP; do
		create_container "$ID"
		pid=$(pid_of "$ID")
		berth kill "$ID" "$sig"
		wait_pid_gone "$pid"
		wait_for_status "$ID" stopped
		[ ! -e "$HOSTDIR/ran" ]
		berth delete "$ID"
	done
}
