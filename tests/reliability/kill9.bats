#!/usr/bin/env bats
# kill -9 at random points of create, start, exec and delete: of berth, and separately
# of its init. Afterwards `list` tells the truth (a half-made container is never shown
# as created or running: see honest_status), `delete --force` succeeds, and nothing is
# left (leak audit against the test's baseline). Random delays are spread over the
# measured duration of each command; the seed is printed, KILL9_SEED=N replays a run,
# KILL9_N=N sets the number of kills per test.

load common

setup_file() { build_leakaudit; }

setup() {
	rel_setup
	SEED=${KILL9_SEED:-$((RANDOM * 32768 + RANDOM))}
	RANDOM=$SEED
	N=${KILL9_N:-6}
	export BERTH_TIMEOUT=20
	echo "seed $SEED, $N kills"
}
teardown() { rel_teardown; }

# duration_ms CMD...: how long CMD takes, in ms (at least 50).
duration_ms() {
	local t0 t1
	t0=$(now_ms)
	"$@" >/dev/null 2>&1 </dev/null || true
	t1=$(now_ms)
	echo $((t1 - t0 > 50 ? t1 - t0 : 50))
}

# bg_berth OUT ARGS...: the runtime in the background with this test's root, stdin
# /dev/null, stdout and stderr to OUT.{out,err}; BG is its pid.
bg_berth() {
	local out=$1
	shift
	"$BERTH" --root "$ROOT" "$@" </dev/null >"$out.out" 2>"$out.err" 3>&- &
	BG=$!
}

# after_kill ID WHAT: the checks after a kill: list is honest, delete --force succeeds,
# nothing is left.
after_kill() {
	honest_status "$1"
	berth delete --force "$1" </dev/null || {
		echo "$2: delete --force $1 failed" >&2
		return 1
	}
	if berth state "$1" >/dev/null 2>&1; then
		echo "$2: $1 still exists after delete --force" >&2
		return 1
	fi
	clean_or_fail "$2"
}

@test "kill -9 of berth create at random points" {
	local i id t d rc
	t=$(duration_ms create_container "$ID-t")
	berth delete --force "$ID-t"
	for i in $(seq "$N"); do
		id=$ID-$i
		d=$(rand_ms $((t * 11 / 10)))
		bg_berth "$BATS_TEST_TMPDIR/$id" create --bundle "$BUNDLE" --pid-file "$(pidfile "$id")" "$id"
		nap "$(ms_as_s "$d")"
		kill -9 "$BG" 2>/dev/null || true
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i at ${d}ms of ${t}ms: rc=$rc"
		# The pid file is written last: a create that was killed has none, unless it
		# had finished (rc 0).
		if [ "$rc" -ne 0 ] && [ -e "$(pidfile "$id")" ]; then
			[ "$(berth state "$id" | jq -r .status)" = created ]
		fi
		mv "$BATS_TEST_TMPDIR/$id.out" "$(cout "$id")"
		after_kill "$id" "kill $i of create"
	done
}

@test "kill -9 of the container's init (and its C stage) at random points of create" {
	local i id t d rc p
	t=$(duration_ms create_container "$ID-t")
	berth delete --force "$ID-t"
	for i in $(seq "$N"); do
		id=$ID-$i
		d=$(rand_ms "$t")
		bg_berth "$(cout "$id")" create --bundle "$BUNDLE" "$id"
		nap "$(ms_as_s "$d")"
		p=$(berth_inits "$id")
		# shellcheck disable=SC2086
		kill -9 $p 2>/dev/null || true
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i at ${d}ms of ${t}ms (pids: ${p:-none yet}): rc=$rc"
		mv "$(cout "$id").out" "$(cout "$id")"
		if [ "$rc" -ne 0 ]; then
			# a failed create says why, and cleans up after itself
			grep -q . "$(cout "$id").err"
			cat "$(cout "$id").err"
			clean_or_fail "create whose init was killed"
		fi
		after_kill "$id" "kill $i of init in create"
	done
}

@test "kill -9 of berth start at random points" {
	local i id t d rc
	create_container "$ID-t"
	t=$(duration_ms berth start "$ID-t")
	berth delete --force "$ID-t"
	for i in $(seq "$N"); do
		id=$ID-$i
		create_container "$id"
		d=$(rand_ms $((t * 11 / 10)))
		bg_berth "$BATS_TEST_TMPDIR/$id" start "$id"
		nap "$(ms_as_s "$d")"
		kill -9 "$BG" 2>/dev/null || true
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i at ${d}ms of ${t}ms: rc=$rc, then $(berth state "$id" | jq -r .status)"
		after_kill "$id" "kill $i of start"
	done
}

@test "kill -9 of the container's init at random points of start" {
	local i id t d rc p
	create_container "$ID-t"
	t=$(duration_ms berth start "$ID-t")
	berth delete --force "$ID-t"
	for i in $(seq "$N"); do
		id=$ID-$i
		create_container "$id"
		p=$(pid_of "$id")
		d=$(rand_ms "$t")
		bg_berth "$BATS_TEST_TMPDIR/$id" start "$id"
		nap "$(ms_as_s "$d")"
		kill -9 "$p"
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i at ${d}ms of ${t}ms: rc=$rc: $(cat "$BATS_TEST_TMPDIR/$id.err")"
		# init died: start failed, saying so, or it had already run the process
		if [ "$rc" -ne 0 ]; then
			grep -q . "$BATS_TEST_TMPDIR/$id.err"
		fi
		[ "$(status_of "$id")" = stopped ]
		after_kill "$id" "kill $i of init in start"
	done
}

@test "kill -9 of berth exec, and of the exec's init, at random points" {
	local i t d rc p
	run_detached "$ID"
	t=$(duration_ms berth exec "$ID" true)
	for i in $(seq "$N"); do
		d=$(rand_ms $((t * 11 / 10)))
		bg_berth "$BATS_TEST_TMPDIR/e$i" exec "$ID" sh -c "echo exec-$i"
		nap "$(ms_as_s "$d")"
		if [ $((i % 2)) = 0 ]; then
			kill -9 "$BG" 2>/dev/null || true
			p="berth $BG"
		else
			p=$(berth_inits "$ID")
			# shellcheck disable=SC2086
			kill -9 $p 2>/dev/null || true
			p="init ${p:-none yet}"
		fi
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i ($p) at ${d}ms of ${t}ms: rc=$rc out=$(cat "$BATS_TEST_TMPDIR/e$i.out") err=$(cat "$BATS_TEST_TMPDIR/e$i.err")"
		# the container is unharmed: still running, and another exec works
		[ "$(status_of "$ID")" = running ]
		[ "$(berth exec "$ID" echo ok </dev/null)" = ok ]
		# and nothing of the killed exec is left in it, once the dust has settled:
		# only init (sleep) in the container's cgroup
		local end=$(($(now_ms) + 5000))
		while [ "$(berth ps --format json "$ID" | jq length)" != 1 ]; do
			if [ "$(now_ms)" -gt "$end" ]; then
				echo "left in the container: $(berth ps "$ID")" >&2
				return 1
			fi
			nap 0.1
		done
	done
	after_kill "$ID" "exec kills"
}

@test "kill -9 of berth delete, and of the container's process, at random points" {
	local i id t d rc
	run_detached "$ID-t"
	t=$(duration_ms berth delete --force "$ID-t")
	for i in $(seq "$N"); do
		id=$ID-$i
		run_detached "$id"
		d=$(rand_ms $((t * 11 / 10)))
		bg_berth "$BATS_TEST_TMPDIR/$id" delete --force "$id"
		nap "$(ms_as_s "$d")"
		if [ $((i % 2)) = 0 ]; then
			kill -9 "$BG" 2>/dev/null || true
		else
			kill -9 "$(cat "$(pidfile "$id")")" 2>/dev/null || true
		fi
		rc=0
		wait "$BG" || rc=$?
		echo "kill $i at ${d}ms of ${t}ms: rc=$rc"
		after_kill "$id" "kill $i of delete"
	done
}

@test "kill -9 of berth start right after it released init: running, and a second start refuses at once" {
	# strace holds start in its read of exec.fifo (after the open that releases init),
	# where it is killed: the status must read running (not created, with a process
	# running), and another start must fail at once (not wait on a fifo nobody opens).
	create_container "$ID"
	strace -f -qq -o /dev/null -e trace=read -e inject=read:delay_enter=3000000 \
		-P "$ROOT/$ID/exec.fifo" "$BERTH" --root "$ROOT" start "$ID" </dev/null 3>&- &
	local st=$!
	wait_for_line "$(cout "$ID")" ran 10
	# the start (strace's child) is still in its read
	local b
	b=$(cat "/proc/$st/task/$st/children")
	[ -n "$b" ]
	# shellcheck disable=SC2086 # one pid, and a trailing space
	kill -9 $b
	wait "$st" || true
	[ "$(status_of "$ID")" = running ]
	# It refuses rather than waiting on a fifo nobody opens: a hang would be
	# cut by timeout (status 124), which is not the refusal checked here.
	run ! timeout 20 "$BERTH" --root "$ROOT" start "$ID"
	[ "$status" -ne 124 ]
	[[ "$output" == *running* ]]
	after_kill "$ID" "start killed after the release"
}

@test "kill -9 of berth create while it makes the container's cgroups: delete --force removes them" {
	# makeCgroups saves the paths to state.json before making any directory, so a
	# berth killed while it makes them leaves directories delete --force can find.
	# strace holds create in the third mkdir of the container's cgroup directories
	# (-P matches exact paths: one per hierarchy), where it is killed.
	local paths=() d
	for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		paths+=(-P "${d}$ID")
	done
	timeout -s KILL 30 strace -f -qq -o /dev/null -e trace=mkdirat \
		-e inject=mkdirat:delay_enter=3000000:when=3 "${paths[@]}" \
		"$BERTH" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- &
	local st=$! end b s
	end=$(($(now_ms) + 10000))
	until [ "$(leftover_cgroups | wc -l)" -ge 2 ] || [ "$(now_ms)" -gt "$end" ]; do nap 0.05; done
	# timeout's child is strace, whose child is berth
	s=$(cat "/proc/$st/task/$st/children")
	s=${s// /}
	[ -n "$s" ]
	b=$(cat "/proc/$s/task/$s/children")
	b=${b// /}
	[ -n "$b" ]
	kill -9 "$b"
	wait "$st" || true
	# The window was hit: some directories made, and state.json names them.
	[ -n "$(leftover_cgroups)" ]
	jq -e '.cgroup_paths | length > 0' "$ROOT/$ID/state.json"
	after_kill "$ID" "create killed while making its cgroups"
}
