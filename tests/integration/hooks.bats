#!/usr/bin/env bats
# hooks: prestart, createRuntime, createContainer, startContainer, poststart, poststop
# (runtime-spec 1.3 config.md#posix-platform-hooks and runtime.md#lifecycle).

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.annotations = {"org.berth.test": "hooks"}'
	LOG=$HOSTDIR/hooks.log
	# hook.sh NAME LOG [EXIT]: append "NAME <the state JSON from stdin, on one line>" to LOG
	HOOK=$BATS_TEST_TMPDIR/hook.sh
	cat >"$HOOK" <<'SH'
#!/bin/sh
state=$(cat)
printf '%s %s\n' "$1" "$(printf %s "$state" | tr -d '\n')" >>"$2"
exit "${3:-0}"
SH
	chmod 755 "$HOOK"
	# the same script inside the rootfs, for startContainer (its path resolves in the
	# container namespace); it logs to /host/hooks.log, the same file
	cp "$HOOK" "$BUNDLE/rootfs/hook.sh"
}
teardown() { teardown_berth; }

# hook NAME [EXIT]: JSON of a hook entry logging as NAME (runtime namespace paths)
hook() {
	jq -nc --arg p "$HOOK" --arg n "$1" --arg l "$LOG" --arg rc "${2:-0}" \
		'{"path": $p, "args": ["hook.sh", $n, $l, $rc]}'
}

# container_hook NAME [EXIT]: the same, for a hook whose path resolves in the container
container_hook() {
	jq -nc --arg n "$1" --arg rc "${2:-0}" \
		'{"path": "/hook.sh", "args": ["hook.sh", $n, "/host/hooks.log", $rc]}'
}

# set_hooks JQ-OBJECT: .hooks = OBJECT
set_hooks() {
	update_config --argjson h "$1" '.hooks = $h'
}

all_hooks() {
	set_hooks "{
		\"prestart\": [$(hook prestart)],
		\"createRuntime\": [$(hook createRuntime)],
		\"createContainer\": [$(hook createContainer)],
		\"startContainer\": [$(container_hook startContainer)],
		\"poststart\": [$(hook poststart)],
		\"poststop\": [$(hook poststop)]}"
}

# logged: the hook names in LOG, in order, one a line
logged() {
	[ -e "$LOG" ] || return 0
	cut -d' ' -f1 "$LOG"
}

# state_in NAME: the state JSON hook NAME received
state_in() {
	grep "^$1 " "$LOG" | head -1 | cut -d' ' -f2-
}

@test "hooks: prestart, createRuntime, createContainer run during create, in order" {
	all_hooks
	set_cmd 'echo process >> /host/hooks.log; exec sleep 100'
	create_container "$ID"
	cat "$LOG"
	[ "$(logged | head -3)" = "prestart
createRuntime
createContainer" ]
	! logged | grep -qx startContainer || false
	! logged | grep -qx process || false
}

@test "hooks: the state on stdin (id, bundle, pid, status, annotations)" {
	all_hooks
	set_cmd 'exec sleep 100'
	create_container "$ID"
	local pid h s
	pid=$(pid_of "$ID")
	berth start "$ID"
	berth delete --force "$ID"
	cat "$LOG"
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		s=$(state_in "$h")
		echo "$h: $s"
		jq -e --arg id "$ID" '.id == $id' <<<"$s"
		jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$s"
		jq -e '.ociVersion | test("^1\\.")' <<<"$s"
		jq -e '.annotations["org.berth.test"] == "hooks"' <<<"$s"
	done
	# pid as seen by the runtime for hooks in the runtime namespace...
	for h in prestart createRuntime poststart; do
		jq -e --argjson p "$pid" '.pid == $p' <<<"$(state_in "$h")"
	done
	# ...and as seen by the container for hooks in the container namespace
	for h in createContainer startContainer; do
		jq -e '.pid == 1' <<<"$(state_in "$h")"
	done
	for h in prestart createRuntime createContainer; do
		jq -e '.status == "creating" or .status == "created"' <<<"$(state_in "$h")"
	done
	jq -e '.status == "created"' <<<"$(state_in startContainer)"
	jq -e '.status == "stopped"' <<<"$(state_in poststop)"
}

@test "hooks: createRuntime runs in the runtime namespaces, createContainer in the container's" {
	set_hooks "{
		\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts > $HOSTDIR/cr-ns\"]}],
		\"createContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts > $HOSTDIR/cc-ns\"]}]}"
	update_config '.linux.namespaces |= (map(select(.type != "uts")) + [{"type": "uts"}])'
	set_cmd 'exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(cat "$HOSTDIR/cr-ns")" = "$(readlink /proc/$$/ns/mnt /proc/$$/ns/pid /proc/$$/ns/uts)" ]
	[ "$(cat "$HOSTDIR/cc-ns")" = "$(readlink "/proc/$pid/ns/mnt" "/proc/$pid/ns/pid" "/proc/$pid/ns/uts")" ]
}

@test "hooks: startContainer runs at start before the user process; poststop at delete" {
	all_hooks
	set_cmd 'echo process >> /host/hooks.log; exec sleep 100'
	create_container "$ID"
	run --separate-stderr berth start "$ID"
	[ "$status" -eq 0 ]
	wait_for_file "$LOG"
	local i
	for i in $(seq 50); do logged | grep -qx process && break; sleep 0.05; done
	cat "$LOG"
	logged | grep -qx startContainer
	# startContainer before the user's process
	[ "$(logged | grep -x -e startContainer -e process | head -1)" = startContainer ]
	! logged | grep -qx poststop || false
	berth delete --force "$ID"
	[ "$(logged | tail -1)" = poststop ]
	[ "$(logged | grep -cx poststop)" = 1 ]
}

@test "hooks: poststart runs at start, after the user process is executed, seeing 'running'" {
	all_hooks
	set_hooks "{
		\"startContainer\": [$(container_hook startContainer)],
		\"poststart\": [$(hook poststart), {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"pid=\$(sed 's/.*\\\"pid\\\": *\\\\([0-9]*\\\\).*/\\\\1/'); readlink /proc/\$pid/exe > $HOSTDIR/exe-at-poststart\"]}]}"
	set_cmd 'exec sleep 100'
	create_container "$ID"
	cat "$LOG" || true
	# runtime-spec: poststart is part of start, not of create
	skip_if_runc "1.1.5 runs poststart hooks during create, before the user process is executed (status \"created\")"
	! logged | grep -qx poststart || false
	berth start "$ID"
	# ...and done before start returns
	cat "$LOG"
	logged | grep -qx poststart
	[ "$(logged | grep -x -e startContainer -e poststart)" = "startContainer
poststart" ]
	jq -e '.status == "running"' <<<"$(state_in poststart)"
	# the container process had already become the user's program (sleep -> busybox)
	[[ "$(cat "$HOSTDIR/exe-at-poststart")" == */busybox ]]
}

@test "hooks: hooks get exactly their configured args and env" {
	cat >"$BATS_TEST_TMPDIR/env-hook.sh" <<SH
#!/bin/sh
env > $HOSTDIR/hook-env
for a in "\$@"; do echo "[\$a]"; done > $HOSTDIR/hook-args
SH
	chmod 755 "$BATS_TEST_TMPDIR/env-hook.sh"
	set_hooks "{\"createRuntime\": [{\"path\": \"$BATS_TEST_TMPDIR/env-hook.sh\", \"args\": [\"env-hook\", \"a b\", \"c\"], \"env\": [\"HOOKVAR=hv\", \"OTHER=o\"]}]}"
	set_cmd 'exec sleep 100'
	LEAKY_CALLER_VAR=1 create_container "$ID"
	cat "$HOSTDIR/hook-env" "$HOSTDIR/hook-args"
	[ "$(cat "$HOSTDIR/hook-args")" = "[a b]
[c]" ]
	grep -qx HOOKVAR=hv "$HOSTDIR/hook-env"
	grep -qx OTHER=o "$HOSTDIR/hook-env"
	! grep -q LEAKY_CALLER_VAR "$HOSTDIR/hook-env" || false
	# nothing else but what a shell adds itself
	[ -z "$(grep -v -e '^HOOKVAR=' -e '^OTHER=' -e '^PWD=' -e '^SHLVL=' -e '^_=' "$HOSTDIR/hook-env")" ]
}

# failing_create_hook PHASE: a failing hook of this create-time phase fails create,
# runs the poststop hooks (runtime.md lifecycle: "continue the lifecycle at step 12"),
# and leaves nothing behind.
failing_create_hook() {
	set_hooks "{\"$1\": [$(hook "$1" 7)], \"poststop\": [$(hook poststop)]}"
	set_cmd 'echo process >> /host/hooks.log; exec sleep 100'
	run ! create_container "$ID"
	echo "$output"
	[ -n "$output" ]
	cat "$LOG"
	logged | grep -qx "$1"
	! logged | grep -qx process || false
	assert_nothing_left
	logged | grep -qx poststop
}

@test "hooks: a failing prestart hook fails create and leaves nothing behind" {
	failing_create_hook prestart
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing behind" {
	failing_create_hook createRuntime
}

@test "hooks: a failing createContainer hook fails create and leaves nothing behind" {
	failing_create_hook createContainer
}

@test "hooks: a failing startContainer hook: the user process does not run, start fails" {
	set_hooks "{\"startContainer\": [$(container_hook startContainer 5)], \"poststop\": [$(hook poststop)]}"
	set_cmd 'echo process >> /host/hooks.log; exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth start "$ID"
	echo "start: $status $stderr"
	wait_pid_gone "$pid"
	sleep 0.1
	cat "$LOG"
	logged | grep -qx startContainer
	! logged | grep -qx process || false
	# runtime-spec runtime.md lifecycle step 7: MUST generate an error
	skip_if_runc "1.1.5 start exits 0 when a startContainer hook fails"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
}

@test "hooks: a failing poststart hook fails start and stops the container" {
	# runtime-spec 1.3 runtime.md lifecycle step 9: generate an error, stop the container,
	# continue at step 12 (destroy, then poststop hooks)
	skip_if_runc "1.1.5 runs poststart hooks during create, so a failing one fails create"
	set_hooks "{\"poststart\": [$(hook poststart 9)], \"poststop\": [$(hook poststop)]}"
	set_cmd 'exec sleep 100'
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr berth start "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	wait_pid_gone "$pid"
	cat "$LOG"
	[ "$(logged)" = "poststart
poststop" ]
}

@test "hooks: a failing poststop hook only warns; delete succeeds" {
	set_hooks "{\"poststop\": [$(hook poststop 1)]}"
	set_cmd 'true'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run --separate-stderr berth delete "$ID"
	echo "$stderr"
	[ "$status" -eq 0 ]
	logged | grep -qx poststop
	[ -z "$(ls -A "$ROOT")" ]
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ]
}

@test "hooks: after a failing poststop hook the remaining poststop hooks still run" {
	# runtime-spec runtime.md lifecycle step 13: warn, the remaining hooks and lifecycle
	# continue as if the hook had succeeded
	skip_if_runc "1.1.5 stops at the first failing poststop hook (runtime-tools poststop_fail)"
	set_hooks "{\"poststop\": [$(hook poststop1 1), $(hook poststop2), $(hook poststop3 2), $(hook poststop4)]}"
	set_cmd 'true'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run --separate-stderr berth delete "$ID"
	[ "$status" -eq 0 ]
	[ "$(logged)" = "poststop1
poststop2
poststop3
poststop4" ]
	[ -z "$(ls -A "$ROOT")" ]
}

@test "hooks: a hook that runs past its timeout is killed and create fails" {
	cat >"$BATS_TEST_TMPDIR/slow-hook.sh" <<SH
#!/bin/sh
echo \$\$ > $HOSTDIR/slow-pid
exec sleep 30
SH
	chmod 755 "$BATS_TEST_TMPDIR/slow-hook.sh"
	set_hooks "{\"createRuntime\": [{\"path\": \"$BATS_TEST_TMPDIR/slow-hook.sh\", \"timeout\": 1}]}"
	set_cmd 'exec sleep 100'
	local t0 t1
	t0=$(date +%s)
	run ! create_container "$ID"
	t1=$(date +%s)
	echo "$output"
	[ $((t1 - t0)) -lt 10 ]
	[[ "$output" =~ timeout|timed\ out|deadline ]]
	# the hook process was killed
	wait_pid_gone "$(cat "$HOSTDIR/slow-pid")"
	assert_nothing_left
}

@test "hooks: a hook whose path does not exist fails create" {
	set_hooks '{"createRuntime": [{"path": "/no/such/hook"}]}'
	set_cmd 'exec sleep 100'
	run ! create_container "$ID"
	[[ "$output" == */no/such/hook* ]] || [[ "$output" == *"no such file or directory"* ]]
	assert_nothing_left
}
