#!/usr/bin/env bats
# The runtime under a real systemd (tests/systemd/run.sh runs this file as root in a
# guest whose PID 1 is systemd): a Type=notify unit around `run -d` or a foreground
# `run` becomes active only when the container says READY=1 (systemd-notify in the
# container, to the runtime's relay), with the container's init, or the foreground
# runtime, as its main pid; and a socket unit's fd (LISTEN_FDS) reaches the
# container's process. The container runs the guest's own systemd-notify and perl:
# the guest's /usr is bound read-only over the busybox rootfs's.
# tests/integration/sdnotify.bats and listenfds.bats check the same without systemd.

load ../integration/helpers

setup() {
	[ -d /run/systemd/system ] || skip "systemd is not PID 1 here (tests/systemd/run.sh runs this file in a systemd guest)"
	setup_berth
	make_bundle
	hostdir_mount
	# The guest's programs (and their loader and libraries: /lib64 and /lib point
	# into /usr, as in Debian).
	ln -s usr/lib64 "$BUNDLE/rootfs/lib64"
	ln -s usr/lib "$BUNDLE/rootfs/lib"
	update_config '.mounts += [{"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]}]'
	UNIT=berth-test-$ID
	defer "systemctl stop $UNIT.service $UNIT.socket; systemctl reset-failed $UNIT.service $UNIT.socket"
}
teardown() { teardown_berth; }

# unit_prop PROPERTY: the test's service's property.
unit_prop() {
	systemctl show -P "$1" "$UNIT.service"
}

# wait_unit STATE [SECONDS=60]: until the service's ActiveState is STATE.
wait_unit() {
	local end=$(($(now_ms) + ${2:-60} * 1000)) s
	while :; do
		s=$(unit_prop ActiveState)
		[ "$s" = "$1" ] && return 0
		[ "$(now_ms)" -lt "$end" ] || break
		sleep 0.1
	done
	echo "$UNIT.service: ActiveState $s, want $1" >&2
	systemctl status --no-pager "$UNIT.service" >&2 || true
	return 1
}

# The container's script: say it runs, wait for the test's go, then READY=1.
NOTIFY_WHEN_TOLD='echo up >/host/started; while [ ! -e /host/go ]; do sleep 0.1; done; systemd-notify --ready --no-block'

@test "Type=notify around run -d: activating until the container says READY=1, then active with the container's init as main pid" {
	set_cmd "$NOTIFY_WHEN_TOLD; exec sleep 1000"
	systemd-run --unit="$UNIT" -p Type=notify -p TimeoutStartSec=300 --no-block -- \
		"$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID")" "$ID"
	wait_for_file "$HOSTDIR/started" 60
	track_pid "$(cat "$(pidfile "$ID")")"
	# the process runs, and has not said READY=1: the unit is still starting
	sleep 1
	[ "$(unit_prop ActiveState)" = activating ]
	touch "$HOSTDIR/go"
	wait_unit active
	[ "$(unit_prop MainPID)" = "$(cat "$(pidfile "$ID")")" ]
	[ "$(berth state "$ID" | jq -r .status)" = running ]
}

@test "Type=notify around a foreground run: active once READY=1 with the runtime as main pid; inactive when the container exits" {
	set_cmd "$NOTIFY_WHEN_TOLD; while [ ! -e /host/stop ]; do sleep 0.1; done"
	systemd-run --unit="$UNIT" -p Type=notify -p TimeoutStartSec=300 --no-block -- \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	wait_for_file "$HOSTDIR/started" 60
	sleep 1
	[ "$(unit_prop ActiveState)" = activating ]
	touch "$HOSTDIR/go"
	wait_unit active
	# the runtime is the process systemd started, and stays the main pid
	local main
	main=$(unit_prop MainPID)
	[ "$main" = "$(unit_prop ExecMainPID)" ]
	[[ "$(readlink "/proc/$main/exe")" == "$(readlink -f "$BERTH")"* ]]
	touch "$HOSTDIR/stop"
	wait_unit inactive
	[ "$(unit_prop ExecMainStatus)" = 0 ]
}

@test "Type=notify around run -d: a container that exits without READY=1 fails the unit at once" {
	skip_if_runc "1.5.3 waits for READY=1 as long as its exited init is a zombie, which it does not reap: forever (the unit stays activating until its start timeout)"
	set_cmd 'exit 3'
	systemd-run --unit="$UNIT" -p Type=notify -p TimeoutStartSec=300 --no-block -- \
		"$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" "$ID"
	wait_unit failed 60
	[ "$(unit_prop Result)" = protocol ]
}

@test "a socket unit's fd reaches the container: LISTEN_FDS=1, LISTEN_PID=1, fd 3 accepts the connection" {
	local port=$((20000 + RANDOM % 20000)) reply
	# perl, from the guest's /usr: accept on fd 3 and answer with what the process has
	set_cmd 'exec perl -e '\''open(my $l, "+<&=", 3) or die "fd 3: $!"; accept(my $c, $l) or die "accept: $!"; print $c "fd 3 LISTEN_FDS=$ENV{LISTEN_FDS} LISTEN_PID=$ENV{LISTEN_PID} pid=$$\n"; close $c'\'
	systemd-run --unit="$UNIT" --socket-property="ListenStream=127.0.0.1:$port" -- \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ "$(systemctl show -P ActiveState "$UNIT.socket")" = active ]
	# the first connection starts the service, which runs the container
	exec 5<>"/dev/tcp/127.0.0.1/$port"
	reply=$(timeout 60 head -1 <&5)
	exec 5<&-
	echo "reply: $reply"
	[ "$reply" = "fd 3 LISTEN_FDS=1 LISTEN_PID=1 pid=1" ]
	wait_unit inactive
	[ "$(unit_prop ExecMainStatus)" = 0 ]
}
