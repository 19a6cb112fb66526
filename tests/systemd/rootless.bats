#!/usr/bin/env bats
# The systemd cgroup driver without root: --systemd-cgroup asks the user's own
# systemd instance (user@UID.service) for the transient scope, in its user.slice.
# tests/systemd/run.sh runs this file as berthuser (lingering, so its instance runs)
# in the systemd guest.

load helpers

setup() {
	setup_systemd --user
}

teardown() {
	teardown_systemd
}

@test "systemd rootless: the container runs in a scope of the user's instance, with its limits" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 12}, "cpu": {"quota": 30000, "period": 100000}}'
	# (the limits are checked from outside: berth's rootless spec has no cgroup
	# mount at /sys/fs/cgroup, and one added is refused with EBUSY over the rbind
	# of /sys, which runc mounts over; left for the rootfs code)
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	pid=$(pid_of "$ID")
	load_props "$UNIT"
	[ "${P[ActiveState]}" = active ]
	[ "${P[Slice]}" = user.slice ]
	[ "${P[Delegate]}" = yes ]
	[[ "$CGDIR" == /sys/fs/cgroup/user.slice/user-$(id -u).slice/user@$(id -u).service/user.slice/$UNIT ]]
	[ "$(cat "/proc/$pid/cgroup")" = "0::${CGDIR#/sys/fs/cgroup}" ]
	[ "${P[MemoryMax]}" = 67108864 ]
	[ "${P[TasksMax]}" = 12 ]
	[ "${P[CPUQuotaPerSecUSec]}" = 300ms ]
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/pids.max")" = 12 ]
	[ "$(cat "$CGDIR/cpu.max")" = "30000 100000" ]
	# the system manager knows nothing of it
	[ "$(systemctl show -P LoadState "$UNIT")" = not-found ]
}

@test "systemd rootless: update, pause and resume through the user's instance" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}}'
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	sd update --memory 100663296 --pids-limit 40 "$ID"
	load_props "$UNIT"
	[ "${P[MemoryMax]}" = 100663296 ]
	[ "${P[TasksMax]}" = 40 ]
	[ "$(cat "$CGDIR/memory.max")" = 100663296 ]
	[ "$(cat "$CGDIR/pids.max")" = 40 ]
	sd pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	grep -qx 'frozen 1' "$CGDIR/cgroup.events"
	sd resume "$ID"
	[ "$(status_of "$ID")" = running ]
}

@test "systemd rootless: delete leaves no unit and no cgroup" {
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	sd exec -d "$ID" sleep 999
	sd delete --force "$ID"
	unit_gone "$UNIT"
	[ ! -e "$CGDIR" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "systemd rootless: a create that fails after the unit is made leaves no unit behind" {
	update_config '.process.args = ["/no/such/binary"]'
	run sd run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	unit_gone "$UNIT"
	[ ! -e "$CGDIR" ]
	assert_nothing_left
}
