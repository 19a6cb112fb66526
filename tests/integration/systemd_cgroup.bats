#!/usr/bin/env bats
# --systemd-cgroup where systemd does not run (this project's test host): a clear
# error, and nothing left behind. The driver itself is tested in a systemd guest
# (tests/systemd, `make test-systemd`).

load helpers

setup() {
	setup_berth
	[ ! -d /run/systemd/system ] || skip "systemd runs here: tests/systemd covers --systemd-cgroup"
	make_bundle
	set_cmd 'true'
}

teardown() {
	teardown_berth
}

@test "systemd cgroup: without systemd, create fails naming linux.cgroupsPath and leaves nothing" {
	update_config --arg p "system.slice:berth:$ID" '.linux.cgroupsPath = $p'
	run "$BERTH" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *systemd* ]]
	is_runc || [[ "$output" == *"linux.cgroupsPath \"system.slice:berth:$ID\""* ]]
	assert_nothing_left
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "berth-$ID.scope")" ]
}

@test "systemd cgroup: a cgroupsPath that is not slice:prefix:name is refused up front" {
	update_config --arg p "/not/systemd/$ID" '.linux.cgroupsPath = $p'
	run "$BERTH" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	is_runc || [[ "$output" == *"linux.cgroupsPath"*"slice:prefix:name"* ]]
	assert_nothing_left
}
