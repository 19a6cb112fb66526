#!/usr/bin/env bats
# Behaving as runc 1.5 does (issue 14), seccomp: conditions on a repeated argument index
# are ORed; SCMP_ACT_NOTIFY on write is refused; syscalls newer than every syscall the
# profile names fail with ENOSYS, not the default errno (so that libc falls back).

load helpers

setup_file() {
	SECCOMPAGENT=$(build_test_cmd seccompagent) || return 1
	SYSPROBE=$(build_test_cmd sysprobe) || return 1
	export SECCOMPAGENT SYSPROBE
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

# x86_64 syscall numbers
MKDIRAT=258 RSEQ=334 PIDFD_OPEN=434 CLONE3=435 GETPID=39

@test "compat seccomp: syscalls newer than every one the profile names get ENOSYS, not the default errno" {
	[ "$(uname -m)" = x86_64 ] || skip "the syscall numbers here are x86_64's"
	local unistd=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ -r "$unistd" ] || skip "needs $unistd (linux-libc-dev) for the syscall names"
	cp "$SYSPROBE" "$BUNDLE/rootfs/sysprobe"
	# An allowlist of every syscall up to rseq but mkdirat, as a profile written before
	# clone3 existed; the default errno is EPERM. (clone3 is what glibc's pthread_create
	# tries first, falling back to clone on ENOSYS only.)
	local names
	names=$(awk -v hi=$RSEQ '$1 == "#define" && $2 ~ /^__NR_/ && $3 + 0 <= hi { print substr($2, 6) }' "$unistd" |
		grep -vx mkdirat | jq -R . | jq -cs .)
	update_config --argjson n "$names" '.process.args = ["/sysprobe", "'$PIDFD_OPEN'", "'$CLONE3'", "'$MKDIRAT'", "'$GETPID'"]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
			"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
			"syscalls": [{"names": $n, "action": "SCMP_ACT_ALLOW"}]}'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	grep -qx "$PIDFD_OPEN=ENOSYS" <<<"$output"
	grep -qx "$CLONE3=ENOSYS" <<<"$output"
	# older than the newest named: the default action, EPERM
	grep -qx "$MKDIRAT=EPERM" <<<"$output"
	grep -qx "$GETPID=ok" <<<"$output"
	# a profile that names a newer syscall (openat2, 437) keeps clone3 under the default
	update_config '.linux.seccomp.syscalls += [{"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	run_fg "$ID-2"
	[ "$status" -eq 0 ]
	grep -qx "$CLONE3=EPERM" <<<"$output"
	grep -qx "$PIDFD_OPEN=EPERM" <<<"$output"
}

@test "compat seccomp: the ENOSYS stub with SCMP_ACT_NOTIFY: the agent still gets the listener" {
	[ "$(uname -m)" = x86_64 ] || skip "the syscall numbers here are x86_64's"
	local unistd=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ -r "$unistd" ] || skip "needs $unistd (linux-libc-dev) for the syscall names"
	cp "$SYSPROBE" "$BUNDLE/rootfs/sysprobe"
	local sock=$BATS_TEST_TMPDIR/agent.sock
	"$SECCOMPAGENT" -log "$BATS_TEST_TMPDIR/answers" -timeout 60s "$sock" </dev/null >"$BATS_TEST_TMPDIR/agent.out" 2>&1 3>&- &
	defer kill "$!"
	local i
	for i in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	[ -S "$sock" ]
	local names
	names=$(awk -v hi=$RSEQ '$1 == "#define" && $2 ~ /^__NR_/ && $3 + 0 <= hi { print substr($2, 6) }' "$unistd" |
		grep -vxE 'mkdir|mkdirat' | jq -R . | jq -cs .)
	update_config --argjson n "$names" --arg sock "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
			"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "listenerPath": $sock,
			"syscalls": [{"names": $n, "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_cmd 'mkdir /tmp/refused 2>&1; echo "mkdir=$?"; /sysprobe '$CLONE3
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Exchange full"* ]]
	grep -qx "mkdir=1" <<<"$output"
	grep -qx "$CLONE3=ENOSYS" <<<"$output"
	grep -qE '^mkdir(at)? /tmp/refused EXFULL$' "$BATS_TEST_TMPDIR/answers"
}
