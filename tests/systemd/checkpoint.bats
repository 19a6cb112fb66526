#!/usr/bin/env bats
# checkpoint / restore with CRIU, in the systemd guest (Debian 12's kernel and
# criu, where `criu check` passes; on the host's newer kernel it fails, see
# tests/integration/checkpoint.bats). A busybox counter with memory of its own
# (a random token and a 300 kB string) and an open file (/host/log, on a bind
# mount) is dumped and restored: the count goes on from where it was, with
# the same token. Through the systemd driver, as the rest of this lane.

load helpers

setup() {
	setup_systemd
	command -v criu >/dev/null || skip "no criu in the guest image (tests/vm/debian-packages.txt)"
	hostdir_mount
	IMG=$BATS_TEST_TMPDIR/img
	LOG=$HOSTDIR/log
	# one line a tick: COUNT TOKEN LENGTH-OF-THE-STRING
	set_cmd 'tok=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d " \n")
		x=$(head -c 300000 /dev/zero | tr "\0" a)
		exec 4>>/host/log
		i=0
		while :; do i=$((i+1)); echo "$i $tok ${#x}" >&4; sleep 0.2; done'
}

teardown() {
	teardown_systemd
}

# stdio: three pipes this shell holds, S0 S1 S2 (CRIU hands pipes back across
# a restore; a file of the host's would be outside the container's mounts).
stdio() {
	exec {S0}<> <(:)
	exec {S1}<> <(:)
	exec {S2}<> <(:)
}

# pipe_err: what the container and the runtime wrote to the stderr pipe.
pipe_err() {
	timeout 1 cat "/proc/self/fd/$S2" >&2 || true
}

# cr_run ID: run -d on fresh pipes.
cr_run() {
	stdio
	if ! sd run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$1")" "$1" <&"$S0" >&"$S1" 2>&"$S2"; then
		pipe_err
		return 1
	fi
	track_pid "$(cat "$(pidfile "$1")")"
}

# cr_restore ID [FLAGS...]: restore -d from $IMG (unless FLAGS say otherwise) on fresh pipes.
cr_restore() {
	local id=$1
	shift
	stdio
	if ! sd restore -d --bundle "$BUNDLE" --image-path "$IMG" --pid-file "$(pidfile "$id")" "$@" "$id" <&"$S0" >&"$S1" 2>&"$S2"; then
		pipe_err
		return 1
	fi
	track_pid "$(cat "$(pidfile "$id")")"
}

# last: the last complete line of the log
last() { tail -n 1 "$LOG"; }
count() { last | cut -d' ' -f1; }

# wait_count N: until the counter has passed N (60 s: the guest is emulated).
wait_count() {
	local end=$(($(now_ms) + 60000))
	while [ "$(count 2>/dev/null || echo 0)" -le "$1" ]; do
		[ "$(now_ms)" -lt "$end" ] || {
			echo "counter stuck at $(count) (want > $1)" >&2
			return 1
		}
		sleep 0.2
	done
}

# log_continuous [FROM_LINE]: from that line on, each count is the one before + 1,
# with one token and the whole string throughout.
log_continuous() {
	tail -n +"${1:-1}" "$LOG" | awk '
		NR > 1 && ($1 != prev + 1 || $2 != tok) { print "log breaks at line " NR ": " $0 " after " prev " " tok; bad = 1 }
		$3 != 300000 { print "string lost: " $0; bad = 1 }
		{ prev = $1; tok = $2 }
		END { exit bad }' >&2
}

@test "checkpoint: the container is dumped and gone; restore (same ID, then a new ID) goes on counting" {
	cr_run "$ID"
	wait_count 3
	local created0 pid0 n0
	created0=$(state_of "$ID" | jq -r .created)
	pid0=$(pid_of "$ID")

	sd checkpoint --image-path "$IMG" --work-path "$BATS_TEST_TMPDIR/work" "$ID"
	# dumped, then removed as after kill and delete: process, state, unit
	wait_pid_gone "$pid0"
	run berth state "$ID"
	[[ "$output" == *"does not exist"* ]]
	unit_gone "$UNIT"
	[ -s "$IMG/descriptors.json" ]
	[ -s "$BATS_TEST_TMPDIR/work/dump.log" ]
	n0=$(count)
	sleep 1
	[ "$(count)" = "$n0" ]

	cr_restore "$ID" --work-path "$BATS_TEST_TMPDIR/work"
	local st pid1
	st=$(state_of "$ID")
	echo "$st"
	[ "$(jq -r .status <<<"$st")" = running ]
	pid1=$(jq -r .pid <<<"$st")
	[ "$(cat "$(pidfile "$ID")")" = "$pid1" ]
	[[ "$(jq -r .created <<<"$st")" > "$created0" ]]
	# back in the container's scope, as its only process tree
	[ "$(cat "/proc/$pid1/cgroup")" = "0::/$SLICE/$UNIT" ]
	[ "$($SCTL show -P ActiveState "$UNIT")" = active ]
	wait_count $((n0 + 3))
	log_continuous

	# exec into the restored container
	run -0 sd exec "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; readlink /proc/1/fd/4'
	echo "$output"
	[[ "$output" == "sh -c "* ]]
	[[ "$output" == *"/host/log"* ]]

	# again, into a new ID (its own scope)
	local n1
	sd checkpoint --image-path "$IMG" "$ID"
	n1=$(count)
	update_config --arg p "$SLICE:berth:$ID-b" '.linux.cgroupsPath = $p'
	cr_restore "$ID-b"
	[ "$(status_of "$ID-b")" = running ]
	[ "$(cat "/proc/$(pid_of "$ID-b")/cgroup")" = "0::/$SLICE/berth-$ID-b.scope" ]
	wait_count $((n1 + 3))
	log_continuous

	# and it goes as any container: kill, delete, nothing left
	sd kill "$ID-b" KILL
	wait_for_status "$ID-b" stopped 20
	sd delete "$ID-b"
	unit_gone "berth-$ID-b.scope"
}

@test "checkpoint --leave-running: the container runs on; the dump restores to where it was" {
	cr_run "$ID"
	wait_count 3
	local pid0 n0 line
	pid0=$(pid_of "$ID")
	sd checkpoint --leave-running --image-path "$IMG" "$ID"
	n0=$(count)
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid0" ]
	wait_count $((n0 + 3))
	sd delete --force "$ID"
	wait_pid_gone "$pid0"
	unit_gone "$UNIT"
	line=$(wc -l <"$LOG")
	local top
	top=$(count)

	cr_restore "$ID"
	[ "$(status_of "$ID")" = running ]
	wait_count 0
	# the restored one starts again from the dump: a count it had already
	# passed, with the token of before (a fresh start would be 1 and a new one)
	local first tok
	local end=$(($(now_ms) + 60000))
	first=$(sed -n "$((line + 1))p" "$LOG" | cut -d' ' -f1)
	while [ -z "$first" ]; do
		[ "$(now_ms)" -lt "$end" ] || {
			echo "the restored counter wrote nothing in 60 s" >&2
			return 1
		}
		sleep 0.2
		first=$(sed -n "$((line + 1))p" "$LOG" | cut -d' ' -f1)
	done
	tok=$(head -n 1 "$LOG" | cut -d' ' -f2)
	echo "dumped near $n0, ran on to $top, restored at $first"
	[ "$first" -ge "$n0" ] && [ "$first" -le "$top" ]
	[ "$(sed -n "$((line + 1))p" "$LOG" | cut -d' ' -f2)" = "$tok" ]
	sleep 1
	log_continuous $((line + 1))
}

@test "checkpoint --pre-dump then --parent-path: limits, hooks and the count kept" {
	local hooklog=$BATS_TEST_TMPDIR/hooks
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 40}}'
	update_config --arg f "$hooklog" '.hooks = {
		"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "jq -c \"[\\\"prestart\\\", .status, .pid]\" >> \($f)"]}],
		"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "jq -c \"[\\\"createRuntime\\\", .status, .pid]\" >> \($f)"]}]}'
	cr_run "$ID"
	wait_count 3
	sd checkpoint --pre-dump --image-path "$IMG/pre" "$ID"
	# a pre-dump leaves it running
	[ "$(status_of "$ID")" = running ]
	[ ! -e "$IMG/pre/descriptors.json" ]
	local n0
	n0=$(count)
	wait_count $((n0 + 2))
	sd checkpoint --parent-path ../pre --image-path "$IMG/final" "$ID"
	unit_gone "$UNIT"
	[ -L "$IMG/final/parent" ]
	# a pre-dump alone is no checkpoint
	run sd restore -d --bundle "$BUNDLE" --image-path "$IMG/pre" "$ID" </dev/null
	[ "$status" -ne 0 ]
	: >"$hooklog"
	cr_restore "$ID" --image-path "$IMG/final"
	local pid
	pid=$(pid_of "$ID")
	wait_count $((n0 + 5))
	log_continuous
	# the limits of config.json are on the restored scope
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/pids.max")" = 40 ]
	grep -qx "$pid" "$CGDIR/cgroup.procs"
	# prestart and createRuntime ran once each, for the restored process
	cat "$hooklog"
	[ "$(wc -l <"$hooklog")" = 2 ]
	[ "$(sed -n 1p "$hooklog" | jq -r '.[0]')" = prestart ]
	[ "$(sed -n 2p "$hooklog" | jq -r '.[0]')" = createRuntime ]
	[ "$(sed -n 1p "$hooklog" | jq -r '.[2]')" = "$pid" ]
	sd delete --force "$ID"
}

@test "checkpoint: podman container checkpoint / restore with the runtime under test" {
	command -v podman >/dev/null || skip "no podman in the guest image (tests/vm/debian-packages.txt)"
	local P=$BATS_TEST_TMPDIR/podman name=$ID-pod id pid0 pid1 n0
	mkdir -p "$P"
	pm() {
		timeout --foreground -k 5 120 podman --root "$P/root" --runroot "$P/runroot" \
			--runtime "$BERTH" --events-backend file "$@" 3>&-
	}
	defer "podman --root '$P/root' --runroot '$P/runroot' rm -f -t 0 -a; podman --root '$P/root' --runroot '$P/runroot' system reset -f"
	# the bundle's busybox as a local image (no registry here)
	tar -C "$BUNDLE/rootfs" -c . | pm import - localhost/berthbox:cr >/dev/null
	id=$(pm run -d --name "$name" --network none -v "$HOSTDIR:/host" localhost/berthbox:cr \
		sh -c "$(jq -r '.process.args[2]' "$BUNDLE/config.json")")
	echo "container $id"
	wait_count 3
	pid0=$(pm inspect --format '{{.State.Pid}}' "$id")
	# the runtime under test runs it (podman passes no --root: its default root)
	"$BERTH" state "$id" | jq -e --argjson p "$pid0" '.pid == $p and .status == "running"'

	pm container checkpoint "$id"
	[ "$(pm inspect --format '{{.State.Status}}' "$id")" = exited ]
	wait_pid_gone "$pid0"
	n0=$(count)

	pm container restore "$id"
	[ "$(pm inspect --format '{{.State.Status}}' "$id")" = running ]
	pid1=$(pm inspect --format '{{.State.Pid}}' "$id")
	[ "$pid1" != "$pid0" ]
	"$BERTH" state "$id" | jq -e --argjson p "$pid1" '.pid == $p and .status == "running"'
	wait_count $((n0 + 3))
	log_continuous
	[ "$(pm exec "$id" sh -c 'echo exec-ok')" = exec-ok ]

	pm rm -f -t 0 "$id"
	run "$BERTH" state "$id"
	[ "$status" -ne 0 ]
	wait_pid_gone "$pid1"
}
