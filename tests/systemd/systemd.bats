#!/usr/bin/env bats
# The systemd cgroup driver as root: --systemd-cgroup with "slice:prefix:name" makes
# a transient scope over D-Bus, with the container in it, its limits as unit
# properties and in the cgroup files; update, pause/resume, events, exec, and delete
# through it; failures leave no unit. Runs in tests/systemd/run.sh's systemd guest.

load helpers

setup() {
	setup_systemd
}

teardown() {
	teardown_systemd
}

@test "systemd: features reports the systemd cgroup driver" {
	run -0 "$BERTH" features
	[ "$(jq -r .linux.cgroup.systemd <<<"$output")" = true ]
	[ "$(jq -r .linux.cgroup.systemdUser <<<"$output")" = true ]
}

@test "systemd: the container runs in a delegated transient scope of the slice" {
	set_cmd 'cat /proc/self/cgroup; sleep 1000'
	sd_run_d "$ID"
	pid=$(pid_of "$ID")
	load_props "$UNIT"
	[ "${P[ActiveState]}" = active ]
	[ "${P[Slice]}" = "$SLICE" ]
	[ "${P[Delegate]}" = yes ]
	[ "${P[ControlGroup]}" = "/$SLICE/$UNIT" ]
	[ "$(cat "/proc/$pid/cgroup")" = "0::/$SLICE/$UNIT" ]
	grep -qx "$pid" "$CGDIR/cgroup.procs"
	# the unit's processes are the container's: its init alone
	[ "$(cat "$CGDIR/cgroup.procs")" = "$pid" ]
	# inside, its own cgroup namespace rooted at the scope
	wait_for_line "$(cout "$ID")" "0::/"
	sd ps "$ID" | grep -qw "$pid"
}

@test "systemd: limits are unit properties and cgroup files, inside and out" {
	update_config '.linux.resources = {
		"memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
		"cpu": {"quota": 50000, "period": 100000, "cpus": "0"},
		"pids": {"limit": 10},
		"unified": {"cpu.weight": "200", "memory.high": "62914560"}}'
	set_cmd 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max; sleep 1000'
	sd_run_d "$ID"
	load_props "$UNIT"
	[ "${P[MemoryMax]}" = 67108864 ]
	[ "${P[MemoryLow]}" = 33554432 ]
	[ "${P[MemorySwapMax]}" = 33554432 ]
	[ "${P[MemoryHigh]}" = 62914560 ]
	[ "${P[CPUQuotaPerSecUSec]}" = 500ms ]
	[ "${P[CPUQuotaPeriodUSec]}" = 100ms ]
	[ "${P[CPUWeight]}" = 200 ]
	[ "${P[TasksMax]}" = 10 ]
	[ "${P[AllowedCPUs]}" = 0 ]
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/memory.low")" = 33554432 ]
	[ "$(cat "$CGDIR/memory.swap.max")" = 33554432 ]
	[ "$(cat "$CGDIR/memory.high")" = 62914560 ]
	[ "$(cat "$CGDIR/cpu.max")" = "50000 100000" ]
	[ "$(cat "$CGDIR/cpu.weight")" = 200 ]
	[ "$(cat "$CGDIR/pids.max")" = 10 ]
	[ "$(cat "$CGDIR/cpuset.cpus")" = 0 ]
	wait_for_line "$(cout "$ID")" "50000 100000"
	[ "$(head -2 "$(cout "$ID")" | tr '\n' ' ')" = "67108864 10 " ]
	# the limits hold: 11 processes are one too many
	run sd exec "$ID" sh -c 'p=; for i in 1 2 3 4 5 6 7 8 9 10 11; do sleep 100 & p="$p $!"; done; kill $p 2>/dev/null; true'
	echo "$output"
	[[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
}

@test "systemd: a daemon-reload keeps the container's limits" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	systemctl daemon-reload
	[ "$(prop "$UNIT" MemoryMax)" = 67108864 ]
	[ "$(cat "$CGDIR/memory.max")" = 67108864 ]
	[ "$(cat "$CGDIR/pids.max")" = 20 ]
	[ "$(prop "$UNIT" ActiveState)" = active ]
}

@test "systemd: device rules are DevicePolicy and DeviceAllow, and hold inside" {
	set_cmd 'sleep 1000'
	add_caps CAP_MKNOD
	sd_run_d "$ID"
	load_props "$UNIT"
	echo "DevicePolicy=${P[DevicePolicy]} DeviceAllow=${P[DeviceAllow]}"
	[ "${P[DevicePolicy]}" = strict ]
	[[ "${P[DeviceAllow]}" == *"/dev/char/1:3 rwm"* ]]
	[[ "${P[DeviceAllow]}" == *"char-136 rwm"* ]] # the ptys: a whole major
	run -0 sd exec "$ID" sh -c 'echo x >/dev/null && echo null-ok'
	[ "$output" = null-ok ]
	# mknod of any node is allowed (in /dev, a tmpfs without nodev; the root is
	# read-only), opening one that is not listed is not (the device cgroup refuses
	# before any driver is asked: EPERM, not ENXIO)
	run sd exec "$ID" sh -c 'mknod /dev/xloop b 7 0 && head -c1 /dev/xloop'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "systemd: update changes the unit's properties and the files" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 10}}'
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	sd update --memory 134217728 --pids-limit 30 --cpu-quota 20000 --cpu-period 100000 "$ID"
	load_props "$UNIT"
	[ "${P[MemoryMax]}" = 134217728 ]
	[ "${P[TasksMax]}" = 30 ]
	[ "${P[CPUQuotaPerSecUSec]}" = 200ms ]
	[ "$(cat "$CGDIR/memory.max")" = 134217728 ]
	[ "$(cat "$CGDIR/pids.max")" = 30 ]
	[ "$(cat "$CGDIR/cpu.max")" = "20000 100000" ]
	echo '{"pids": {"limit": 5}}' | sd update --resources - "$ID"
	[ "$(prop "$UNIT" TasksMax)" = 5 ]
	[ "$(cat "$CGDIR/pids.max")" = 5 ]
	# only what was given: memory is as before
	[ "$(prop "$UNIT" MemoryMax)" = 134217728 ]
}

@test "systemd: pause and resume freeze and thaw the scope" {
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	sd pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	grep -qx 'frozen 1' "$CGDIR/cgroup.events"
	[ "$(proc_state "$(pid_of "$ID")")" != R ]
	sd resume "$ID"
	[ "$(status_of "$ID")" = running ]
	grep -qx 'frozen 0' "$CGDIR/cgroup.events"
	[ "$(prop "$UNIT" ActiveState)" = active ]
}

@test "systemd: events --stats reads the scope, and an OOM kill is an event" {
	update_config '.linux.resources = {"memory": {"limit": 33554432, "swap": 33554432}}'
	# the hog doubles a string until the OOM killer takes it; init stays
	set_cmd 'while [ ! -e /dev/shm/go ]; do sleep 0.1; done; awk "BEGIN { s = \"x\"; for (;;) s = s s }"; echo survived; sleep 1000'
	sd_run_d "$ID"
	run -0 sd events --stats "$ID"
	[ "$(jq -r .type <<<"$output")" = stats ]
	[ "$(jq -r '.data.memory.usage.limit' <<<"$output")" = 33554432 ]
	[ "$(jq -r '.data.pids.current' <<<"$output")" -ge 1 ]
	ev=$BATS_TEST_TMPDIR/events
	sd events --interval 1s "$ID" >"$ev" 2>&1 &
	evpid=$!
	defer "kill $evpid"
	sleep 0.5
	sd exec "$ID" touch /dev/shm/go
	if ! wait_for_line "$(cout "$ID")" survived 60; then
		cat "$(cout "$ID")" "$(cerr "$ID")" "$CGDIR/memory.events" "$ev"
		status_of "$ID"
		prop "$UNIT" ActiveState
		false
	fi
	for _ in $(seq 50); do
		grep -q '"type":"oom"' "$ev" && break
		sleep 0.1
	done
	grep -q '"type":"oom"' "$ev"
	grep -qx 'oom_kill [1-9][0-9]*' "$CGDIR/memory.events"
	# the container lives on, its unit too
	[ "$(status_of "$ID")" = running ]
	[ "$(prop "$UNIT" ActiveState)" = active ]
}

@test "systemd: exec joins the scope; kill --all and delete leave no unit, no cgroup" {
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	sd exec -d "$ID" sleep 999
	[ "$(wc -l <"$CGDIR/cgroup.procs")" = 2 ]
	sd kill --all "$ID" KILL
	wait_for_status "$ID" stopped
	sd delete "$ID"
	unit_gone "$UNIT"
	[ ! -e "$CGDIR" ]
	[ ! -e "$ROOT/$ID" ]
}

@test "systemd: delete --force of a running container stops its unit" {
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	pid=$(pid_of "$ID")
	sd delete --force "$ID"
	unit_gone "$UNIT"
	[ ! -e "$CGDIR" ]
	wait_pid_gone "$pid" ""
}

@test "systemd: a nested slice a-b.slice is expanded as systemd does" {
	update_config --arg p "berthtest-n$$.slice:berth:$ID" '.linux.cgroupsPath = $p'
	defer "systemctl stop berthtest-n$$.slice berthtest.slice"
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	dir=/sys/fs/cgroup/berthtest.slice/berthtest-n$$.slice/$UNIT
	[ "$(prop "$UNIT" Slice)" = "berthtest-n$$.slice" ]
	[ "$(prop "$UNIT" ControlGroup)" = "/berthtest.slice/berthtest-n$$.slice/$UNIT" ]
	grep -qx "$(pid_of "$ID")" "$dir/cgroup.procs"
	sd delete --force "$ID"
	unit_gone "$UNIT"
	[ ! -e "$dir" ]
}

@test "systemd: a create that fails after the unit is made leaves no unit behind" {
	update_config '.process.args = ["/no/such/binary"]'
	run sd run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	unit_gone "$UNIT"
	[ ! -e "$CGDIR" ]
	assert_nothing_left
}

@test "systemd: a bad slice name is an error naming linux.cgroupsPath, nothing made" {
	update_config --arg p "bad--slice.slice:berth:$ID" '.linux.cgroupsPath = $p'
	run sd run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	is_runc || [[ "$output" == *linux.cgroupsPath* ]]
	[[ "$output" == *"bad--slice.slice"* ]]
	unit_gone "$UNIT"
	assert_nothing_left
}

@test "systemd: a second container for a running unit is refused, the first untouched" {
	set_cmd 'sleep 1000'
	sd_run_d "$ID"
	run sd run -d --bundle "$BUNDLE" "$ID-2" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$ID-2" ]
	[ "$(status_of "$ID")" = running ]
	[ "$(prop "$UNIT" ActiveState)" = active ]
	grep -qx "$(pid_of "$ID")" "$CGDIR/cgroup.procs"
}
