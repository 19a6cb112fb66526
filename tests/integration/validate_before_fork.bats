#!/usr/bin/env bats
# Issue 19, item 1: every user error before the fork. A malformed linux.resources,
# seccomp or capabilities value fails `create`, and a bad exec flag fails `exec`, before
# the runtime creates any process: strace shows no fork, vfork, or clone that is not a
# thread's (CLONE_THREAD), the error names the field or flag, and nothing is left behind
# (assert_nothing_left here, the teardown's leak audit after).

load helpers

setup() {
	setup_berth
	make_bundle
	NTRACE=0
}
teardown() { teardown_berth; }

# traced ARGS...: the runtime command under `run --separate-stderr`, traced by strace for
# the system calls that make processes; the trace goes to $TRACE.
traced() {
	NTRACE=$((NTRACE + 1))
	TRACE=$BATS_TEST_TMPDIR/trace.$NTRACE
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		strace -f -qq -e trace=clone,clone3,fork,vfork -o "$TRACE" \
		"$BERTH" --root "$ROOT" "$@" </dev/null 3>&-
	printf '%s: status=%s\n--- stderr:\n%s\n--- trace %s:\n%s\n---\n' "$*" "$status" "$stderr" "$TRACE" "$(cat "$TRACE" 2>/dev/null)"
}

# forks: the calls in $TRACE that made a process (a thread's clone has CLONE_THREAD).
forks() {
	grep -E '(^|[[:space:]])(clone3?|v?fork)\(' "$TRACE" | grep -v CLONE_THREAD || true
}

# refused_before_fork FIELD JQ: create with the config edited by JQ fails naming FIELD,
# having made no process, and leaves nothing behind.
refused_before_fork() {
	local field=$1 edit=$2
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	update_config "$edit"
	traced create --bundle "$BUNDLE" "$ID"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$field"* ]]
	[ -e "$TRACE" ]
	[ -z "$(forks)" ]
	assert_nothing_left
}

@test "validate before fork: the trace sees the forks of a good container" {
	# The checks below mean something only if strace catches the runtime's forks. (A
	# created container would keep strace waiting: run one that exits.)
	update_config '.process.args = ["true"]'
	traced run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -n "$(forks)" ]
}

@test "validate before fork: malformed linux.resources values" {
	skip_if_runc "runc checks resource values in its cgroup manager, after it started runc init"
	refused_before_fork 'linux.resources.memory.limit: -5 is negative' \
		'.linux.resources.memory = {"limit": -5}'
	refused_before_fork 'linux.resources.memory.swap: ' \
		'.linux.resources.memory = {"limit": 104857600, "swap": 1048576}'
	refused_before_fork 'linux.resources.memory.swappiness: 101' \
		'.linux.resources.memory = {"swappiness": 101}'
	refused_before_fork 'linux.resources.cpu.cpus: "0-x"' \
		'.linux.resources.cpu = {"cpus": "0-x"}'
	refused_before_fork 'linux.resources.cpu.quota: -7' \
		'.linux.resources.cpu = {"quota": -7}'
	refused_before_fork 'linux.resources.hugepageLimits[0].pageSize: "../2MB"' \
		'.linux.resources.hugepageLimits = [{"pageSize": "../2MB", "limit": 1048576}]'
	refused_before_fork 'linux.resources.devices[1]: type "x"' \
		'.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "x", "access": "rwm"}]'
	refused_before_fork 'linux.resources.unified["../memory.max"]' \
		'.linux.resources.unified = {"../memory.max": "1"}'
	refused_before_fork 'linux.resources.network.priorities[0].name' \
		'.linux.resources.network = {"priorities": [{"name": "eth 0", "priority": 1}]}'
	refused_before_fork 'linux.resources.rdma["mlx 0"]' \
		'.linux.resources.rdma = {"mlx 0": {"hcaHandles": 1}}'
}

@test "validate before fork: malformed linux.seccomp values" {
	skip_if_runc "runc resolves syscall names in runc init, after the fork, and its own refusals do not name the field"
	refused_before_fork 'linux.seccomp.syscalls[1].names[0]: unknown syscall "no_such_syscall"' \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
			{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
			{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}'
	refused_before_fork 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"' \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_NOPE"}'
	refused_before_fork 'linux.seccomp.architectures[0]: unknown architecture' \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}'
	refused_before_fork 'linux.seccomp.syscalls[0].args[0].op: unknown operator' \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
			{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NOPE"}]}]}'
}

@test "validate before fork: malformed capability names" {
	skip_if_runc "runc takes any capability name and ignores the ones it cannot grant, with a warning from runc init"
	refused_before_fork 'process.capabilities.bounding[3]: empty capability name' \
		'.process.capabilities.bounding += [""]'
	refused_before_fork 'process.capabilities.effective[0]: "CAP_NET ADMIN" is not a capability name' \
		'.process.capabilities.effective = ["CAP_NET ADMIN"]'
}

@test "validate before fork: bad exec flags" {
	update_config '.process.args = ["sleep", "100"]'
	run_detached "$ID"
	local before
	before=$(berth ps "$ID" | wc -l)

	traced exec --cwd relative/dir "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *[Cc]wd*absolute* ]]
	[ -z "$(forks)" ]

	traced exec --user notanumber "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'notanumber'* ]]
	[ -z "$(forks)" ]

	[ "$(berth ps "$ID" | wc -l)" -eq "$before" ]
}

@test "validate before fork: bad exec flags, refused as --process values are" {
	skip_if_runc "runc passes these to runc init, which fails after the fork"
	update_config '.process.args = ["sleep", "100"]'
	run_detached "$ID"
	local before
	before=$(berth ps "$ID" | wc -l)

	traced exec --env NOEQUALS "$ID" true
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'--env: process.env['*'"NOEQUALS" is not NAME=value'* ]]
	[ -z "$(forks)" ]

	traced exec --cap 'net admin' "$ID" true
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'--cap: process.capabilities.bounding['*'"CAP_NET ADMIN" is not a capability name'* ]]
	[ -z "$(forks)" ]

	traced exec --apparmor $'a\nb' "$ID" true
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'--apparmor: process.apparmorProfile: '*'control character'* ]]
	[ -z "$(forks)" ]

	# the same value through --process is refused the same way
	jq '.process | .cwd = "relative/dir"' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	traced exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'process.cwd: "relative/dir" is not an absolute path'* ]]
	[ -z "$(forks)" ]

	# nothing was started in the container, and it still runs
	[ "$(berth ps "$ID" | wc -l)" -eq "$before" ]
	[ "$(status_of "$ID")" = running ]
}
