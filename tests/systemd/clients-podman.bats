#!/usr/bin/env bats
# Podman (Debian 12's 4.3, with conmon) with `cgroup_manager = "systemd"`, its
# default on a systemd host: `podman --runtime RUNTIME --cgroup-manager systemd`.
# As root each container is a libpod-ID.scope in machine.slice with --memory as
# its MemoryMax; run, exec, stop, rm leaving no unit and no cgroup. Rootless, as
# the lingering berthuser, the scope is made by the user's own systemd instance.
# Runs in tests/systemd/run.sh's guest.

load clients

IMG=berth.local/busybox:1
USER_NAME=berthuser

pm() {
	timeout -k 10 180 podman --runtime "$BERTH" --cgroup-manager systemd "$@"
}

# as_user CMD...: CMD as berthuser, in its session's environment (its systemd
# instance runs: the user lingers).
as_user() {
	local uid
	uid=$(id -u "$USER_NAME")
	(cd / && setpriv --reuid="$uid" --regid="$uid" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="/home/$USER_NAME" USER="$USER_NAME" \
		XDG_RUNTIME_DIR="/run/user/$uid" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" "$@")
}
upm() {
	as_user timeout -k 10 180 podman --runtime "$BERTH" --cgroup-manager systemd "$@"
}

setup_file() {
	setup_clients_file
	pm load -i "$IMG_TAR" >/dev/null
}

teardown_file() {
	pm rm -f -t 0 -a >/dev/null 2>&1 || true
	upm rm -f -t 0 -a >/dev/null 2>&1 || true
}

@test "clients podman (systemd): run --rm gives the output and the exit code" {
	run -0 pm run --rm --network none "$IMG" sh -c 'echo hello-podman; cat /proc/self/cgroup'
	[ "${lines[0]}" = hello-podman ]
	[ "${lines[1]}" = "0::/" ]
	run -3 pm run --rm --network none "$IMG" sh -c 'exit 3'
	[ -z "$(units_matching 'libpod-*')" ]
}

@test "clients podman (systemd): run -d --memory: a libpod scope in machine.slice, exec joins it" {
	id=$(pm run -d --network none --name sdbox --memory 64m "$IMG" sh -c 'trap "exit 0" TERM; while true; do sleep 1; done')
	save podman-id "$id"
	unit=libpod-$id.scope
	pid=$(pm inspect -f '{{.State.Pid}}' sdbox)
	load_props "$unit"
	[ "${P[ActiveState]}" = active ]
	[ "${P[Slice]}" = machine.slice ]
	[ "${P[Delegate]}" = yes ]
	[ "${P[MemoryMax]}" = 67108864 ]
	[ "${P[ControlGroup]}" = "/machine.slice/$unit" ]
	[ "$(cgroup_of "$pid")" = "/machine.slice/$unit" ]
	[ "$(cat "/sys/fs/cgroup/machine.slice/$unit/memory.max")" = 67108864 ]
	run -0 systemctl status --no-pager "$unit"
	[[ "$output" == *"Active: active (running)"* ]]
	# exec: in the container's cgroup, with its limit
	run -0 pm exec sdbox sh -c 'cat /sys/fs/cgroup/memory.max; wc -l </sys/fs/cgroup/cgroup.procs'
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" -ge 2 ]
	run -7 pm exec sdbox sh -c 'exit 7'
	run -0 pm ps -q --no-trunc
	[ "$output" = "$id" ]
}

@test "clients podman (systemd): stop and rm leave no unit and no cgroup" {
	id=$(load_saved podman-id)
	run -0 pm stop -t 30 sdbox
	[ "$(pm inspect -f '{{.State.Status}}' sdbox)" = exited ]
	[ "$(pm inspect -f '{{.State.ExitCode}}' sdbox)" = 0 ]
	unit_gone "libpod-$id.scope"
	run -0 pm rm sdbox
	[ ! -d "/sys/fs/cgroup/machine.slice/libpod-$id.scope" ]
	[ -z "$(units_matching 'libpod-*')" ]
	run -0 pm ps -a -q
	[ -z "$output" ]
}

@test "clients podman (systemd): rootless, as the lingering user: a scope of its own systemd instance" {
	uid=$(id -u "$USER_NAME")
	[ "$(systemctl is-active "user@$uid.service")" = active ] || {
		echo "user@$uid.service is not active: $USER_NAME does not linger" >&2
		return 1
	}
	run -0 upm load -i "$IMG_TAR"
	id=$(upm run -d --network none --name usrbox --memory 64m "$IMG" sh -c 'trap "exit 0" TERM; while true; do sleep 1; done')
	unit=libpod-$id.scope
	pid=$(upm inspect -f '{{.State.Pid}}' usrbox)
	run -0 as_user systemctl --user show -P ActiveState "$unit"
	[ "$output" = active ]
	cg=$(cgroup_of "$pid")
	[[ "$cg" == "/user.slice/user-$uid.slice/user@$uid.service/"*"/$unit" ]]
	# the processes are the user's (or its subordinate ids'), never root's
	[ "$(stat -c %u "/proc/$pid")" != 0 ]
	[ "$(cat "/sys/fs/cgroup$cg/memory.max")" = 67108864 ]
	run -0 upm exec usrbox sh -c 'id -u; cat /sys/fs/cgroup/memory.max'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 67108864 ]
	run -0 upm stop -t 30 usrbox
	run -0 upm rm usrbox
	run -0 as_user systemctl --user show -P LoadState "$unit"
	[ "$output" = not-found ]
	[ ! -d "/sys/fs/cgroup$cg" ]
}
