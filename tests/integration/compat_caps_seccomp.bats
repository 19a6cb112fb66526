#!/usr/bin/env bats
# Behaving as runc 1.5 does (issue 14), seccomp: conditions on a repeated argument index
# are ORed; SCMP_ACT_NOTIFY on write is refused; syscalls newer than every syscall the
# profile names fail with ENOSYS, not the default errno (so that libc falls back).

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

@test "compat seccomp: conditions on one argument index are ORed, one rule each" {
	# chmod(path, mode) has the mode as argument 1, fchmodat(dirfd, path, mode) as 2:
	# mode 0700 or 0704 fails, any other passes
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 452, "op": "SCMP_CMP_EQ"}]},
		{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 452, "op": "SCMP_CMP_EQ"}]}]}'
	set_cmd 'touch /tmp/f; for m in 755 700 704 703; do chmod $m /tmp/f 2>/dev/null; echo "$m=$? $(stat -c %a /tmp/f)"; done'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	grep -qx '755=0 755' <<<"$output"
	grep -qx '700=1 755' <<<"$output"
	grep -qx '704=1 755' <<<"$output"
	grep -qx '703=0 703' <<<"$output"
}

@test "compat seccomp: SCMP_ACT_NOTIFY on write is refused at create, nothing left" {
	local sock=$BATS_TEST_TMPDIR/agent.sock
	"$SECCOMPAGENT" -timeout 60s "$sock" </dev/null >"$BATS_TEST_TMPDIR/agent.out" 2>&1 3>&- &
	defer kill "$!"
	local i
	for i in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	[ -S "$sock" ]
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$sock"'",
		"syscalls": [{"names": ["mkdir", "write"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_cmd 'echo ran > /ran'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *SCMP_ACT_NOTIFY*write* ]]
	[ ! -e "$BUNDLE/rootfs/ran" ]
	assert_nothing_left
}
