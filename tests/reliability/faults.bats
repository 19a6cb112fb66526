#!/usr/bin/env bats
# Syscall fault injection with strace: every distinct call site of mount, umount2,
# mkdirat, openat(2), write, clone(3), setns, unshare, pivot_root, execve, renameat,
# unlinkat and rmdir that create, start, exec and delete make (found by tracing each
# once) is failed in turn, one case per fault, each with a fresh container. Every case
# must end in a clear error and a clean host, or succeed only where the failure does not
# matter (tests/cmd/faultinject/tolerate.go says which, and why); a failed delete must
# succeed when retried. tests/cmd/faultinject does the work; its per-case lines are the
# test's output. FAULTS_REPORT=FILE appends each phase's summary line to FILE.

load common

setup_file() {
	build_leakaudit
	build_tool faultinject
	command -v strace >/dev/null || {
		echo "strace is missing: scripts/deps.sh installs it" >&2
		return 1
	}
}

setup() { rel_setup; }
teardown() { rel_teardown; }

# faults PHASE: inject every fault of PHASE; the output shows each case.
faults() {
	mkdir -p "$BATS_TEST_TMPDIR/fi"
	run "$BATS_RUN_TMPDIR/faultinject" -berth "$BERTH" -bundle "$BUNDLE" -root "$ROOT" \
		-dir "$BATS_TEST_TMPDIR/fi" -id "$ID" -phases "$1" 3>&-
	echo "$output"
	if [ -n "${FAULTS_REPORT:-}" ]; then
		grep -E "^$1: [0-9]+ faults" <<<"$output" >>"$FAULTS_REPORT" || true
	fi
	[ "$status" -eq 0 ]
}

@test "faults: create fails cleanly whatever system call fails (berth, its C stage, init)" {
	faults create
}

@test "faults: start fails cleanly whatever system call of berth start fails" {
	faults start
}

@test "faults: start fails cleanly whatever system call of the container's init fails during it" {
	faults start-init
}

@test "faults: exec fails cleanly, leaving the container unharmed, whatever system call fails" {
	faults exec
}

@test "faults: delete that fails on a system call succeeds when retried" {
	faults delete
}
