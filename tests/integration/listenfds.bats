#!/usr/bin/env bats
# Socket activation (sd_listen_fds(3)) through the runtime, as runc 1.5 does it: when
# LISTEN_PID names the runtime, its fds 3 .. 3+LISTEN_FDS-1 go to the container's
# process at the same numbers, with LISTEN_FDS and LISTEN_PID (the process's pid: 1 in
# a pid namespace of its own) in its environment; --preserve-fds counts after them.
# `tests/cmd/sdnotify activate` is what systemd does for a .socket unit: it listens on
# unix sockets and execs the runtime with them; `sdnotify serve` in the container
# accepts on each and answers, and the test connects from the host.

load helpers

setup_file() {
	SDNOTIFY=$(CGO_ENABLED=0 build_test_cmd sdnotify) || return 1
	export SDNOTIFY
}

setup() {
	setup_berth
	make_bundle
	cp "$SDNOTIFY" "$BUNDLE/rootfs/sdnotify"
	S1=$BATS_TEST_TMPDIR/s1.sock
	S2=$BATS_TEST_TMPDIR/s2.sock
}
teardown() { teardown_berth; }

# activated VERB [FLAGS...] ID: `create` or `run -d` (as _detached in helpers.bash:
# --bundle, --pid-file, stdio to files) under `sdnotify activate $S1 $S2`.
activated() {
	local verb=$1
	shift
	local id=${!#} rc=0
	# shellcheck disable=SC2086
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$SDNOTIFY" activate "$S1" "$S2" -- \
		"$BERTH" --root "$ROOT" $verb --bundle "$BUNDLE" --pid-file "$(pidfile "$id")" "$@" \
		</dev/null >"$(cout "$id")" 2>"$(cerr "$id")" 3>&- || rc=$?
	if [ "$rc" -eq 0 ]; then
		track_pid "$(cat "$(pidfile "$id")")"
	else
		cat "$(cerr "$id")" >&2
	fi
	return "$rc"
}

# connect SOCKET: what the container answers on it.
connect() {
	timeout 20 "$SDNOTIFY" connect "$1" 3>&-
}

# environ_listen: the container's LISTEN_ variables, from its /proc/self/environ
ENVIRON='xargs -0 -n1 </proc/self/environ | grep ^LISTEN_ | sort'

@test "run -d under socket activation: LISTEN_FDS=2, LISTEN_PID=1, and fds 3 and 4 are the listening sockets" {
	set_cmd "$ENVIRON; ls -l /proc/self/fd/ | grep -c socket; exec /sdnotify serve"
	activated "run -d" "$ID"
	# a connection to each socket on the host is accepted in the container
	run connect "$S1"
	echo "$output"
	[ "$output" = "fd 3 pid 1" ]
	run connect "$S2"
	[ "$output" = "fd 4 pid 1" ]
	wait_for_status "$ID" stopped 30
	cat "$(cout "$ID")"
	run cat "$(cout "$ID")"
	[ "${lines[0]}" = LISTEN_FDS=2 ]
	[ "${lines[1]}" = LISTEN_PID=1 ]
	# ls's fds: the two sockets, and none other
	[ "${lines[2]}" = 2 ]
	[ "${lines[3]}" = "LISTEN_FDS=2 LISTEN_PID=1 pid=1" ]
	[ "${lines[4]}" = "fd 3: stream=true listening=true addr=$S1" ]
	[ "${lines[5]}" = "fd 4: stream=true listening=true addr=$S2" ]
}

@test "create holds the sockets until start; connections made meanwhile wait for the process" {
	set_cmd "exec /sdnotify serve"
	activated create "$ID"
	[ "$(status_of "$ID")" = created ]
	# The listening socket lives in the container's init: a client may connect now,
	# and is answered once the process runs.
	connect "$S1" >"$BATS_TEST_TMPDIR/c1.out" 2>&1 &
	local c1=$!
	sleep 0.3
	[ ! -s "$BATS_TEST_TMPDIR/c1.out" ]
	berth start "$ID"
	wait "$c1"
	[ "$(cat "$BATS_TEST_TMPDIR/c1.out")" = "fd 3 pid 1" ]
	run connect "$S2"
	[ "$output" = "fd 4 pid 1" ]
}

@test "LISTEN_FDS with --preserve-fds 1: the preserved fd follows the sockets, at 5" {
	echo preserved-file >"$BATS_TEST_TMPDIR/f5"
	set_cmd "$ENVIRON; cat <&5; exec /sdnotify serve"
	activated "run -d" --preserve-fds 1 "$ID" 5<"$BATS_TEST_TMPDIR/f5"
	run connect "$S1"
	[ "$output" = "fd 3 pid 1" ]
	run connect "$S2"
	[ "$output" = "fd 4 pid 1" ]
	wait_for_status "$ID" stopped 30
	cat "$(cout "$ID")"
	run cat "$(cout "$ID")"
	[ "${lines[0]}" = LISTEN_FDS=2 ]
	[ "${lines[1]}" = LISTEN_PID=1 ]
	[ "${lines[2]}" = preserved-file ]
}

@test "LISTEN_FDS meant for another process (LISTEN_PID not the runtime's): no fds, no LISTEN_ variables" {
	set_cmd "$ENVIRON; ls /proc/self/fd/ | sort -n | tr '\n' ' '"
	run --separate-stderr timeout 60 "$SDNOTIFY" activate -listen-pid 1 "$S1" "$S2" -- \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$output / $stderr"
	[ "$status" -eq 0 ]
	# stdio and ls's own directory fd only
	[ "$output" = "0 1 2 3 " ]
}

@test "a config's own LISTEN_FDS and LISTEN_PID are replaced by the runtime's" {
	update_config '.process.env += ["LISTEN_FDS=7", "LISTEN_PID=99"]'
	set_cmd "$ENVIRON"
	run --separate-stderr timeout 60 "$SDNOTIFY" activate "$S1" "$S2" -- \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$output / $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "LISTEN_FDS=2
LISTEN_PID=1" ]
}

@test "without a pid namespace, LISTEN_PID is the process's own pid" {
	skip_if_runc "1.5.3 says LISTEN_PID=1 also without a pid namespace, so sd_listen_fds(3) in the container ignores the fds"
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd "$ENVIRON; echo pid=\$\$; exec /sdnotify serve"
	activated "run -d" "$ID"
	local pid
	pid=$(cat "$(pidfile "$ID")")
	run connect "$S1"
	[ "$output" = "fd 3 pid $pid" ]
	run connect "$S2"
	[ "$output" = "fd 4 pid $pid" ]
	wait_for_status "$ID" stopped 30
	cat "$(cout "$ID")"
	run cat "$(cout "$ID")"
	[ "${lines[1]}" = "LISTEN_PID=$pid" ]
	[ "${lines[2]}" = "pid=$pid" ]
}

@test "LISTEN_FDS naming an fd the runtime was not given fails naming it; nothing is left" {
	skip_if_runc "1.5.3 hands the container whatever it has open at that number (one of its own fds)"
	set_cmd 'ls -l /proc/self/fd/'
	# fd 3 passed, fd 4 closed
	run --separate-stderr bash -c 'export LISTEN_FDS=2 LISTEN_PID=$$; exec "$@"' bash \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$BUNDLE/config.json" 4>&- </dev/null
	echo "$output / $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"LISTEN_FDS=2: fd 4 was not passed"* ]]
	assert_nothing_left
}
