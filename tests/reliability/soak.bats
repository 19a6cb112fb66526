#!/usr/bin/env bats
# Soak: SOAK_N mixed lifecycles (default 40; `make soak` runs 1000), one after another,
# each with its own container ID: foreground run with an exit status, create/start/
# kill/delete, run -d + exec + delete --force, a create that fails, create + delete of
# a never-started container, pause/resume, a failing exec, kill --all. Every lifecycle
# checks its own outcome; at the end (and every SOAK_CHECK_EVERY lifecycles) the
# scoped leak audit must be identical to the baseline: mounts, cgroups, state,
# processes and zombies, network namespaces, the test shell's fds.

load common

setup_file() { build_leakaudit; }

setup() {
	rel_setup
	SOAK_N=${SOAK_N:-40}
	SOAK_CHECK_EVERY=${SOAK_CHECK_EVERY:-100}
	# a bundle whose create fails in the container's init (a mount that cannot be)
	BAD_BUNDLE=$BATS_TEST_TMPDIR/bad
	mkdir -p "$BAD_BUNDLE"
	ln -s "$BUNDLE/rootfs" "$BAD_BUNDLE/rootfs"
	jq '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/no/such/source", "options": ["bind"]}]' \
		"$BUNDLE/config.json" >"$BAD_BUNDLE/config.json"
	# a bundle whose process ends by itself, with status 3, for foreground runs
	FG_BUNDLE=$BATS_TEST_TMPDIR/fg
	mkdir -p "$FG_BUNDLE"
	ln -s "$BUNDLE/rootfs" "$FG_BUNDLE/rootfs"
	jq '.process.args = ["sh", "-c", "echo fg; exit 3"]' "$BUNDLE/config.json" >"$FG_BUNDLE/config.json"
}
teardown() { rel_teardown; }

# fail_lc N WHAT: report lifecycle N's failure.
fail_lc() {
	echo "lifecycle $1: $2" >&2
	return 1
}

# lifecycle N: the N-th lifecycle, of kind N mod 8.
lifecycle() {
	local n=$1 id=$ID-$1 out rc
	case $((n % 8)) in
	0) # foreground run: output and exit status pass through, and it deletes itself
		rc=0
		out=$("$BERTH" --root "$ROOT" run --bundle "$FG_BUNDLE" "$id" </dev/null 2>&1 3>&-) || rc=$?
		[ "$rc" = 3 ] && [ "$out" = fg ] || fail_lc "$n" "run: exit $rc, output '$out'"
		;;
	1) # create, start, kill, delete
		create_container "$id" || fail_lc "$n" create || return 1
		berth start "$id" || fail_lc "$n" start || return 1
		wait_for_line "$(cout "$id")" ran || fail_lc "$n" "process did not run" || return 1
		berth kill "$id" KILL || fail_lc "$n" kill || return 1
		wait_for_status "$id" stopped || return 1
		berth delete "$id" || fail_lc "$n" delete
		;;
	2) # run -d, exec, delete --force
		run_detached "$id" || fail_lc "$n" "run -d" || return 1
		out=$(berth exec "$id" echo exec-"$n" </dev/null) || fail_lc "$n" exec || return 1
		[ "$out" = "exec-$n" ] || fail_lc "$n" "exec printed '$out'" || return 1
		berth delete --force "$id" || fail_lc "$n" "delete --force"
		;;
	3) # a create that fails in init: an error, and nothing made
		rc=0
		"$BERTH" --root "$ROOT" create --bundle "$BAD_BUNDLE" "$id" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- || rc=$?
		[ "$rc" != 0 ] || fail_lc "$n" "bad create succeeded" || return 1
		grep -q /no/such/source "$BATS_TEST_TMPDIR/err" || fail_lc "$n" "error: $(cat "$BATS_TEST_TMPDIR/err")" || return 1
		[ ! -e "$ROOT/$id" ] || fail_lc "$n" "state left by a failed create"
		;;
	4) # created, never started, deleted with --force
		create_container "$id" || fail_lc "$n" create || return 1
		berth delete --force "$id" || fail_lc "$n" "delete --force"
		;;
	5) # pause and resume, then delete --force
		run_detached "$id" || fail_lc "$n" "run -d" || return 1
		berth pause "$id" || fail_lc "$n" pause || return 1
		[ "$(status_of "$id")" = paused ] || fail_lc "$n" "not paused" || return 1
		berth resume "$id" || fail_lc "$n" resume || return 1
		berth delete --force "$id" || fail_lc "$n" "delete --force"
		;;
	6) # an exec that fails, the container unharmed
		run_detached "$id" || fail_lc "$n" "run -d" || return 1
		rc=0
		berth exec "$id" /no/such/program </dev/null >/dev/null 2>&1 || rc=$?
		[ "$rc" != 0 ] || fail_lc "$n" "exec of a missing program succeeded" || return 1
		[ "$(status_of "$id")" = running ] || fail_lc "$n" "container hurt by a failed exec" || return 1
		berth delete --force "$id" || fail_lc "$n" "delete --force"
		;;
	7) # kill --all of a running container, delete
		run_detached "$id" || fail_lc "$n" "run -d" || return 1
		berth kill --all "$id" KILL || fail_lc "$n" "kill --all" || return 1
		wait_for_status "$id" stopped || return 1
		berth delete "$id" || fail_lc "$n" delete
		;;
	esac
}

@test "soak: mixed lifecycles end with the host exactly as it was" {
	local n t0 fails=0
	t0=$(now_ms)
	for n in $(seq "$SOAK_N"); do
		lifecycle "$n" || fails=$((fails + 1))
		# no leftover of lifecycle n, before the next
		if [ -n "$(ls -A "$ROOT")" ]; then
			echo "lifecycle $n left state: $(ls -A "$ROOT")" >&2
			fails=$((fails + 1))
			berth delete --force "$ID-$n" >/dev/null 2>&1 || true
		fi
		if [ $((n % SOAK_CHECK_EVERY)) = 0 ]; then
			clean_or_fail "$n lifecycles" || fails=$((fails + 1))
		fi
	done
	echo "$SOAK_N lifecycles in $(($(now_ms) - t0)) ms, $fails failed"
	[ "$fails" = 0 ]
	clean_or_fail "all $SOAK_N lifecycles"
	if [ -n "${SOAK_REPORT:-}" ]; then
		echo "soak: $SOAK_N lifecycles, $fails failed, leak audit identical, $(($(now_ms) - t0)) ms" >>"$SOAK_REPORT"
	fi
}
