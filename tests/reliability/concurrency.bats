#!/usr/bin/env bats
# Concurrency and load: many creates at once, racing creates of one ID, racing commands
# on one container, and 200 containers at once with list/ps/kill/delete over all. Each
# test ends with the leak audit against its baseline (rel_teardown).

load common

setup_file() { build_leakaudit; }
setup() { rel_setup; }
teardown() { rel_teardown; }

# each P FUNC ARG...: FUNC ARG for every ARG, at most P at a time; the exit status of
# each goes to $BATS_TEST_TMPDIR/rc/ARG. Fails if any failed. (Few forks of its own: on
# a loaded machine each costs tens of milliseconds.)
each() {
	local p=$1 f=$2 a bad=0 running=0
	shift 2
	mkdir -p "$BATS_TEST_TMPDIR/rc"
	for a in "$@"; do
		if [ "$running" -ge "$p" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		{
			rc=0
			"$f" "$a" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc/$a"
		} &
		running=$((running + 1))
	done
	wait
	for a in "$@"; do
		read -r rc <"$BATS_TEST_TMPDIR/rc/$a"
		if [ "$rc" != 0 ]; then
			echo "$f $a: exit $rc" >&2
			bad=$((bad + 1))
		fi
	done
	return "$bad"
}

# count_status STATUS: how many containers `list` shows with STATUS.
count_status() {
	berth list --format json | jq --arg s "$1" '[.[] | select(.status == $s)] | length'
}

# wait_all STATUS N: until N containers have STATUS (30s at most).
wait_all() {
	local end=$(($(now_ms) + 30000))
	until [ "$(count_status "$1")" = "$2" ]; do
		[ "$(now_ms)" -lt "$end" ] || {
			echo "$(count_status "$1") of $2 containers $1" >&2
			return 1
		}
		nap 0.2
	done
}

ids() {
	local i
	for i in $(seq "$1"); do echo "$ID-$i"; done
}

start_quiet() { berth start "$1" </dev/null; }
delete_force() { berth delete --force "$1" </dev/null; }
kill_kill() { berth kill "$1" KILL </dev/null; }
ps_one() {
	local out pid
	out=$(berth ps --format json "$1" </dev/null) || return 1
	read -r pid <"$(pidfile "$1")"
	# the container's process, and it only: [PID]
	out=${out//[$' \n\t']/}
	[ "$out" = "[$pid]" ] || {
		echo "ps $1: $out, want [$pid]" >&2
		return 1
	}
}

# run_quiet ID, create_quiet ID: run -d and create without the per-container bookkeeping
# of run_detached and create_container (forks; the leak audit checks what is left)
run_quiet() {
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" \
		--pid-file "$(pidfile "$1")" "$1" </dev/null >"$(cout "$1")" 2>"$(cerr "$1")" 3>&-
}
create_quiet() {
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" \
		--pid-file "$(pidfile "$1")" "$1" </dev/null >"$(cout "$1")" 2>"$(cerr "$1")" 3>&-
}

@test "concurrency: 50 creates at once with distinct IDs all succeed, and all are deleted" {
	# shellcheck disable=SC2046
	each 50 create_quiet $(ids 50)
	[ "$(berth list -q | wc -l)" = 50 ]
	[ "$(count_status created)" = 50 ]
	# each is whole: it starts, and its process runs
	# shellcheck disable=SC2046
	each 10 start_quiet $(ids 50)
	wait_all running 50
	local end=$(($(now_ms) + 10000))
	until [ "$(cat "$BATS_TEST_TMPDIR"/*.stdout | grep -c '^ran$')" = 50 ]; do
		[ "$(now_ms)" -lt "$end" ]
		nap 0.2
	done
	# shellcheck disable=SC2046
	each 50 delete_force $(ids 50)
	[ -z "$(berth list -q)" ]
	clean_or_fail "50 parallel creates and deletes"
}

# create_same N: create_container $ID, for the N-th of the racers (each its own files).
create_same() {
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" \
		--pid-file "$BATS_TEST_TMPDIR/same-$1.pid" "$ID" </dev/null \
		>"$BATS_TEST_TMPDIR/same-$1.out" 2>"$BATS_TEST_TMPDIR/same-$1.err" 3>&-
}

@test "concurrency: 10 creates of one ID at once: exactly one wins, the others fail cleanly" {
	local i wins=0 winner
	each 10 create_same $(seq 10) || true
	for i in $(seq 10); do
		if [ "$(cat "$BATS_TEST_TMPDIR/rc/$i")" = 0 ]; then
			wins=$((wins + 1))
			winner=$i
		else
			# a loser says why, wrote no pid file, and its process never ran
			cat "$BATS_TEST_TMPDIR/same-$i.err"
			grep -q "already exists" "$BATS_TEST_TMPDIR/same-$i.err"
			[ ! -e "$BATS_TEST_TMPDIR/same-$i.pid" ]
		fi
	done
	[ "$wins" = 1 ]
	track_pid "$(cat "$BATS_TEST_TMPDIR/same-$winner.pid")"
	# one container, the winner's, whole and healthy
	[ "$(berth list -q)" = "$ID" ]
	[ "$(pid_of "$ID")" = "$(cat "$BATS_TEST_TMPDIR/same-$winner.pid")" ]
	[ "$(ls -A "$ROOT/$ID" | sort | tr '\n' ' ')" = "exec.fifo state.json " ]
	# nothing of the losers: one process for the container (its init), one set of cgroups
	local procs
	procs=$(grep -lsz -xF "_BERTH_ID=$ID" /proc/[0-9]*/environ | wc -l)
	[ "$procs" = 1 ]
	berth start "$ID"
	wait_for_line "$BATS_TEST_TMPDIR/same-$winner.out" ran
	[ "$(grep -c ran "$BATS_TEST_TMPDIR"/same-*.out | awk -F: '{ s += $2 } END { print s }')" = 1 ]
	berth delete --force "$ID"
	clean_or_fail "10 racing creates of one ID"
}

# racer KIND-N: one of the commands racing on $ID; none may hang, crash or corrupt.
racer() {
	local kind=${1%-*} out=$BATS_TEST_TMPDIR/race-$1 rc=0
	case $kind in
	state) berth state "$ID" ;;
	list) berth list --format json ;;
	kill) berth kill "$ID" TERM ;;
	killall) berth kill --all "$ID" KILL ;;
	delete) berth delete --force "$ID" ;;
	ps) berth ps --format json "$ID" ;;
	esac </dev/null >"$out.out" 2>"$out.err" || rc=$?
	# a failure is a clear refusal: the container is gone or not running
	if [ "$rc" -ne 0 ] && ! grep -qE "does not exist|not running" "$out.err"; then
		echo "$1: exit $rc: $(cat "$out.err")" >&2
		return 1
	fi
	if grep -qiE "panic|corrupt|goroutine" "$out.err"; then
		echo "$1: $(cat "$out.err")" >&2
		return 1
	fi
	# state and list never show a half-deleted container as alive
	if [ "$kind" = state ] && [ "$rc" -eq 0 ]; then
		jq -e '.status == "running" or .status == "stopped"' "$out.out" >/dev/null
	fi
	return 0
}

@test "concurrency: kill, delete, state, ps and list racing on one container" {
	local round r
	for round in 1 2; do
		run_detached "$ID"
		wait_for_line "$(cout "$ID")" ran
		r=()
		for k in state list kill killall delete ps; do
			for i in 1 2 3 4; do r+=("$k-$i"); done
		done
		each 24 racer "${r[@]}"
		# whatever the order, the deletes won: nothing is left
		run ! berth state "$ID"
		[[ "$output" == *"does not exist"* ]]
		clean_or_fail "racing commands, round $round"
		rm -f "$(cout "$ID")"
	done
}

@test "concurrency: 200 containers at once, with list, ps, kill and delete over all of them" {
	local n=200 t0
	t0=$(now_ms)
	# shellcheck disable=SC2046
	each 8 run_quiet $(ids $n)
	echo "run -d of $n: $(($(now_ms) - t0)) ms"
	[ "$(count_status running)" = "$n" ]
	t0=$(now_ms)
	# shellcheck disable=SC2046
	each 8 ps_one $(ids $n)
	echo "ps of $n: $(($(now_ms) - t0)) ms"
	t0=$(now_ms)
	# shellcheck disable=SC2046
	each 8 kill_kill $(ids $n)
	echo "kill of $n: $(($(now_ms) - t0)) ms"
	wait_all stopped "$n"
	t0=$(now_ms)
	# shellcheck disable=SC2046
	each 8 delete_force $(ids $n)
	echo "delete of $n: $(($(now_ms) - t0)) ms"
	[ -z "$(berth list -q)" ]
	clean_or_fail "200 containers"
}
