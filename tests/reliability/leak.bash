#!/usr/bin/env bash
# Leak audit for the reliability tests: a snapshot of what a test could have left on the
# host, and a check that nothing is new since. tests/cmd/leakaudit does the reading (its
# comment lists what a snapshot holds: mounts, cgroup directories on every hierarchy,
# state dirs, processes and zombies, network namespaces, the fds of a long-lived
# parent); this file gives it the test's scope. Other people run containers on the same
# machine, so the scope is what the test can have made, and within it the check is
# strict:
#
#   LEAK_IDS     container ID prefixes of the test (default: $ID)
#   LEAK_PATHS   path prefixes of the test: bundles, files (default: $BATS_TEST_TMPDIR)
#   LEAK_ROOTS   the test's --root directories (default: $ROOT)
#   LEAK_PARENT  the long-lived parent whose fds and descendants are watched (default:
#                the test's shell, $$)

# build_tool NAME: build tests/cmd/NAME once per bats run, into $BATS_RUN_TMPDIR/NAME.
build_tool() {
	local bin=$BATS_RUN_TMPDIR/$1 go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
	(
		flock 9
		[ -x "$bin" ] || (cd "$REPO" && "$go" build -buildvcs=false -o "$bin" "./tests/cmd/$1")
	) 9>"$BATS_RUN_TMPDIR/$1.lock" >&2
}

# build_leakaudit: $LEAKAUDIT, built once per bats run (setup_file).
build_leakaudit() {
	build_tool leakaudit
	export LEAKAUDIT=$BATS_RUN_TMPDIR/leakaudit
}

# leak_snapshot FILE: the scoped snapshot of the host, into FILE.
leak_snapshot() {
	"$LEAKAUDIT" snapshot -ids "${LEAK_IDS:-$ID}" -paths "${LEAK_PATHS:-$BATS_TEST_TMPDIR}" \
		-roots "${LEAK_ROOTS:-$ROOT}" -parent "${LEAK_PARENT:-$$}" >"$1"
}

# leak_check BEFORE [SECONDS=5]: fails, printing what is new, if a fresh snapshot has
# anything BEFORE has not. A dead process is reaped by its reaper, and a cgroup emptied,
# a moment after the runtime returns: retry for SECONDS before calling it a leak.
leak_check() {
	local before=$1 secs=${2:-5} now diff end
	now=$BATS_TEST_TMPDIR/.leak-now
	end=$(($(date +%s) + secs))
	while :; do
		leak_snapshot "$now"
		diff=$("$LEAKAUDIT" diff "$before" "$now")
		[ -z "$diff" ] && return 0
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.2
	done
	printf 'leak: %s\n' "$diff" | tr '\t' ' ' >&2
	return 1
}

# leak_clean_after BEFORE: remove what is new since BEFORE (after a failed check, so
# that one failure does not spill into the next case): processes killed, mounts
# detached, then cgroups (deepest first) and state removed.
leak_clean_after() {
	local now=$BATS_TEST_TMPDIR/.leak-now kind key rest
	leak_snapshot "$now"
	while IFS=$'\t' read -r kind key rest; do
		case $kind in
		# only processes surely the test's: not one that merely names its paths
		proc) [[ "$rest" == *" cmdline: "* ]] || kill -9 "${key%%:*}" 2>/dev/null ;;
		mount) umount -l "$key" 2>/dev/null ;;
		esac
	done < <("$LEAKAUDIT" diff "$1" "$now")
	sleep 0.3
	while IFS=$'\t' read -r kind key rest; do
		case $kind in
		cgroup) rmdir "$key" 2>/dev/null ;;
		state) rm -rf "$key" 2>/dev/null ;;
		esac
	done < <("$LEAKAUDIT" diff "$1" "$now" | sort -r)
	return 0
}
