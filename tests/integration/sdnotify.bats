#!/usr/bin/env bats
# NOTIFY_SOCKET (the systemd notify protocol, sd_notify(3)) as runc 1.5 handles it:
# the container gets a socket at /run/notify/notify.sock (its directory in the state
# directory, bound read-only) and NOTIFY_SOCKET naming it; run -d, start and a
# foreground run relay the first READY= line the container sends to the host's
# NOTIFY_SOCKET, with MAINPID (init's pid, or the runtime's own in the foreground) and
# BARRIER=1. The host's socket here is tests/cmd/sdnotify's listener (what systemd is);
# the container notifies with the same helper, copied into the rootfs (static).
# tests/systemd/notify.bats does it under a real systemd.

load helpers

setup_file() {
	SDNOTIFY=$(CGO_ENABLED=0 build_test_cmd sdnotify) || return 1
	export SDNOTIFY
}

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	cp "$SDNOTIFY" "$BUNDLE/rootfs/sdnotify"
	HOST_SOCK=$BATS_TEST_TMPDIR/host.sock
	HOST_OUT=$BATS_TEST_TMPDIR/host.out
}
teardown() { teardown_berth; }

# listen [SOCKET=$HOST_SOCK] [OUT=$HOST_OUT]: the host's notify socket, logging what it
# receives to OUT (one line per line received; "BARRIER=1 fds=1" for the barrier).
listen() {
	local sock=${1:-$HOST_SOCK} out=${2:-$HOST_OUT} i
	"$SDNOTIFY" listen "$sock" "$out" 3>&- &
	defer "kill $!"
	for i in $(seq 100); do
		[ -e "$out" ] && return 0
		sleep 0.05
	done
	echo "the listener at $sock did not start" >&2
	return 1
}

# notified MAINPID [OUT=$HOST_OUT]: OUT holds exactly what runc relays.
notified() {
	local want
	want=$(printf 'READY=1\nMAINPID=%s\nBARRIER=1 fds=1' "$1")
	echo "host socket got:" >&2
	cat "${2:-$HOST_OUT}" >&2
	[ "$(cat "${2:-$HOST_OUT}")" = "$want" ]
}

# runtime_bg OUT ARGS...: the runtime in the background under timeout(1) ($! is the
# timeout's pid, to `wait` for; $OUT.pid gets the runtime's own pid), with
# NOTIFY_SOCKET=$HOST_SOCK, its stdout and stderr to OUT.
runtime_bg() {
	local out=$1
	shift
	NOTIFY_SOCKET=$HOST_SOCK timeout -k 5 "$BERTH_TIMEOUT" \
		bash -c 'echo $$ >"$0"; exec "$@"' "$out.pid" "$BERTH" --root "$ROOT" "$@" </dev/null >"$out" 2>&1 3>&- &
}

# running PID: the process PID has not exited yet.
running() {
	pid_alive "$1"
}

@test "run -d: NOTIFY_SOCKET and the socket's mount in the container; READY=1 relayed with init as MAINPID" {
	listen
	set_cmd 'echo "env $NOTIFY_SOCKET"; ls -l /run/notify/notify.sock; grep " /run/notify " /proc/self/mountinfo; /sdnotify send READY=1; exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK run_detached "$ID"
	notified "$(pid_of "$ID")"
	[ "$(cat "$(pidfile "$ID")")" = "$(pid_of "$ID")" ]
	cat "$(cout "$ID")"
	run cat "$(cout "$ID")"
	[ "${lines[0]}" = "env /run/notify/notify.sock" ]
	[[ "${lines[1]}" == srwxrwxrwx*/run/notify/notify.sock ]]
	# the state directory's notify/ bound read-only, nosuid, nodev, noexec
	[[ "${lines[2]}" == *"/$ID/notify /run/notify "* ]]
	local opts
	opts=$(awk '{print $6}' <<<"${lines[2]}")
	[[ ",$opts," == *,ro,* && ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* && ",$opts," == *,noexec,* ]]
	# on the host: the socket in the state directory, writable by anyone
	[ -S "$ROOT/$ID/notify/notify.sock" ]
	[ "$(stat -c %a "$ROOT/$ID/notify/notify.sock")" = 777 ]
	[ "$(status_of "$ID")" = running ]
	# delete removes it with the rest of the state
	berth delete --force "$ID"
	[ ! -e "$ROOT/$ID" ]
}

@test "run -d returns only once the container has said READY=1" {
	listen
	set_cmd 'echo up >/host/started; while [ ! -e /host/go ]; do sleep 0.05; done; /sdnotify send READY=1; exec sleep 100'
	runtime_bg "$BATS_TEST_TMPDIR/run.log" run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID")" "$ID"
	local rt=$!
	wait_for_file "$(pidfile "$ID")" 30
	track_pid "$(cat "$(pidfile "$ID")")"
	wait_for_file "$HOSTDIR/started" 30
	# the process runs and has not notified: the runtime is still waiting, and the
	# host has been told nothing
	sleep 0.3
	running "$rt"
	[ ! -s "$HOST_OUT" ]
	touch "$HOSTDIR/go"
	local rc=0
	wait "$rt" || rc=$?
	cat "$BATS_TEST_TMPDIR/run.log"
	[ "$rc" -eq 0 ]
	notified "$(pid_of "$ID")"
	[ "$(status_of "$ID")" = running ]
}

@test "create does not wait; start waits for READY=1 and relays it with init as MAINPID" {
	listen
	set_cmd 'echo up >/host/started; while [ ! -e /host/go ]; do sleep 0.05; done; /sdnotify send READY=1; exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK create_container "$ID"
	[ "$(status_of "$ID")" = created ]
	# create made the directory, not the socket: start binds it
	[ -d "$ROOT/$ID/notify" ]
	[ ! -e "$ROOT/$ID/notify/notify.sock" ]
	[ ! -e "$HOSTDIR/started" ]
	runtime_bg "$BATS_TEST_TMPDIR/start.log" start "$ID"
	local rt=$!
	wait_for_file "$HOSTDIR/started" 30
	sleep 0.3
	running "$rt"
	[ ! -s "$HOST_OUT" ]
	touch "$HOSTDIR/go"
	local rc=0
	wait "$rt" || rc=$?
	cat "$BATS_TEST_TMPDIR/start.log"
	[ "$rc" -eq 0 ]
	notified "$(pid_of "$ID")"
}

@test "foreground run: READY=1 relayed with the runtime's own pid as MAINPID; the exit status passed through" {
	listen
	set_cmd '/sdnotify send READY=1; echo done; exit 3'
	runtime_bg "$BATS_TEST_TMPDIR/run.log" run --bundle "$BUNDLE" "$ID"
	local rt=$! rc=0
	wait "$rt" || rc=$?
	cat "$BATS_TEST_TMPDIR/run.log"
	[ "$rc" -eq 3 ]
	grep -qx done "$BATS_TEST_TMPDIR/run.log"
	notified "$(cat "$BATS_TEST_TMPDIR/run.log.pid")"
	[ ! -e "$ROOT/$ID" ]
}

@test "only the READY= line of the container's datagram is relayed" {
	listen
	set_cmd '/sdnotify "send" "READY=1
STATUS=serving"; exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK run_detached "$ID"
	notified "$(pid_of "$ID")"
}

@test "an abstract NOTIFY_SOCKET (@name)" {
	local name=@berth-test-$ID-$RANDOM
	listen "$name"
	set_cmd '/sdnotify send READY=1; exec sleep 100'
	NOTIFY_SOCKET=$name run_detached "$ID"
	notified "$(pid_of "$ID")"
}

@test "a process of another user in a user namespace can notify" {
	listen
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	chown -R 200000:200000 "$BUNDLE/rootfs"
	set_cmd 'id -u; /sdnotify send READY=1; exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK run_detached "$ID"
	notified "$(pid_of "$ID")"
	[ "$(head -1 "$(cout "$ID")")" = 1000 ]
}

@test "start with NOTIFY_SOCKET of a container created without it fails; the container stays created" {
	set_cmd 'exec sleep 100'
	create_container "$ID"
	listen
	run -1 --separate-stderr env NOTIFY_SOCKET="$HOST_SOCK" "$BERTH" --root "$ROOT" start "$ID" </dev/null 3>&-
	echo "$stderr"
	[[ "$stderr" == *notify* ]]
	[ "$(status_of "$ID")" = created ]
	[ ! -s "$HOST_OUT" ]
}

@test "start with a NOTIFY_SOCKET nobody listens on fails naming it" {
	set_cmd 'exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK create_container "$ID"
	run -1 --separate-stderr env NOTIFY_SOCKET="$BATS_TEST_TMPDIR/nobody.sock" "$BERTH" --root "$ROOT" start "$ID" </dev/null 3>&-
	echo "$stderr"
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/nobody.sock"* ]]
}

@test "start with a NOTIFY_SOCKET nobody listens on leaves the container created, its process not run" {
	skip_if_runc "1.5.3 starts the process first, then finds it cannot reach NOTIFY_SOCKET"
	set_cmd 'echo up >/host/started; exec sleep 100'
	NOTIFY_SOCKET=$HOST_SOCK create_container "$ID"
	run -1 --separate-stderr env NOTIFY_SOCKET="$BATS_TEST_TMPDIR/nobody.sock" "$BERTH" --root "$ROOT" start "$ID" </dev/null 3>&-
	echo "$stderr"
	[[ "$stderr" == *"NOTIFY_SOCKET $BATS_TEST_TMPDIR/nobody.sock"* ]]
	[ "$(status_of "$ID")" = created ]
	[ ! -e "$HOSTDIR/started" ]
}

@test "run with a NOTIFY_SOCKET nobody listens on, or not a socket address, fails naming it; nothing is left" {
	skip_if_runc "1.5.3 runs the container and ignores that it cannot reach NOTIFY_SOCKET"
	set_cmd 'echo up >/host/started; exec sleep 100'
	local bad
	for bad in "$BATS_TEST_TMPDIR/nobody.sock" relative.sock "/$(printf 'x%.0s' $(seq 120))"; do
		run -1 --separate-stderr env NOTIFY_SOCKET="$bad" "$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" "$ID" </dev/null 3>&-
		echo "$bad: $stderr"
		[[ "$stderr" == *"NOTIFY_SOCKET"*"$bad"* ]]
		assert_nothing_left
	done
	[ ! -e "$HOSTDIR/started" ]
}

@test "run -d returns when the container exits without READY=1" {
	skip_if_runc "1.5.3 waits for READY=1 as long as its exited init is a zombie, which it does not reap: forever"
	listen
	set_cmd 'exit 3'
	NOTIFY_SOCKET=$HOST_SOCK run_detached "$ID"
	[ ! -s "$HOST_OUT" ]
	[ "$(status_of "$ID")" = stopped ]
}

@test "foreground run returns with the exit status when the container exits without READY=1" {
	skip_if_runc "1.5.3 waits for READY=1 before it waits for the container: forever"
	listen
	set_cmd 'exit 3'
	NOTIFY_SOCKET=$HOST_SOCK run_fg "$ID"
	[ "$status" -eq 3 ]
	[ ! -s "$HOST_OUT" ]
}
