#!/usr/bin/env bash
# Shared by the reliability tests: the integration suite's helpers (private --root, $ID,
# make_bundle, teardown's own ID-scoped checks), the leak audit (leak.bash), and what
# kill -9, concurrency and soak tests need on top.

load ../integration/helpers
load leak

# rel_setup: setup_berth, a bundle whose process says "ran" and then waits, and the
# leak-audit baseline every check compares with.
rel_setup() {
	setup_berth
	make_bundle
	set_cmd 'echo ran; exec sleep 1000'
	# A fork-free sleep (nap): `read -t` on a pipe nobody writes to.
	exec {NAP_FD}<> <(:)
	LEAK_BASE=$BATS_TEST_TMPDIR/.leak-base
	leak_snapshot "$LEAK_BASE"
}

# rel_teardown: the integration teardown (delete --force of everything, its checks),
# then nothing may be left that the baseline has not.
rel_teardown() {
	local rc=0
	teardown_berth || rc=$?
	# (a skipped test stops early; bats has changed its own fds by then)
	if [ -n "${LEAK_BASE:-}" ] && [ -z "${BATS_TEST_SKIPPED:-}" ] && ! leak_check "$LEAK_BASE"; then
		leak_clean_after "$LEAK_BASE"
		rc=1
	fi
	return "$rc"
}

# nap SECONDS: sleep without forking (a fork costs tens of ms on a loaded machine,
# which would blur the random kill points).
nap() {
	read -rt "$1" -u "$NAP_FD" || :
}

# rand_ms MAX: a random number of milliseconds in [0, MAX).
rand_ms() {
	echo $(((RANDOM * 32768 + RANDOM) % $1))
}

# ms_as_s MS: "0.123"
ms_as_s() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# berth_inits ID: pids of berth processes of container ID that have not exec'd yet (the
# C stage, init, an exec's init): their environment still names the container.
berth_inits() {
	grep -lsz -xF "_BERTH_ID=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
}

# honest_status ID: what `list` says of ID is true. "created": init is alive and a start
# runs the process; "running": the process ran ("ran" in its output) and its pid lives.
# Anything else (absent, creating, stopped) is never taken for healthy by a caller.
honest_status() {
	local id=$1 st pid
	st=$(berth list --format json </dev/null | jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.status) \(.pid)"')
	pid=${st#* }
	st=${st% *}
	case $st in
	created)
		pid_alive "$pid" || {
			echo "$id: list says created, but init $pid is not alive" >&2
			return 1
		}
		berth start "$id" </dev/null || {
			echo "$id: list says created, but start fails" >&2
			return 1
		}
		wait_for_line "$(cout "$id")" ran 10 || {
			echo "$id: list said created, started, but the process did not run" >&2
			return 1
		}
		;;
	running)
		pid_alive "$pid" || {
			echo "$id: list says running, but pid $pid is not alive" >&2
			return 1
		}
		wait_for_line "$(cout "$id")" ran 10 || {
			echo "$id: list says running, but the process never ran" >&2
			return 1
		}
		;;
	esac
	return 0
}

# clean_or_fail WHAT: after WHAT, nothing is left that the baseline has not; on a leak,
# print it, clean it up (so later cases are not affected) and fail.
clean_or_fail() {
	if ! leak_check "$LEAK_BASE"; then
		echo "after $1: leaked (above)" >&2
		leak_clean_after "$LEAK_BASE"
		return 1
	fi
}
