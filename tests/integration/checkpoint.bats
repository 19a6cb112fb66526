#!/usr/bin/env bats
# checkpoint / restore on this host: the errors. Debian 12's criu fails
# `criu check` on kernels newer than it knows (here the vDSO layout), so no
# dump can work here: these tests check that each failure says why and
# leaves the container (checkpoint) or nothing (restore) as it was. The real
# dumps and restores run in the systemd guest (tests/systemd/checkpoint.bats).

load helpers

setup() {
	setup_berth
	make_bundle
	IMG=$BATS_TEST_TMPDIR/img
}
teardown() { teardown_berth; }

# criu_check_fails: skip unless this host has a criu whose `criu check` fails.
criu_check_fails() {
	command -v criu >/dev/null || skip "criu is not installed (scripts/deps-test.sh installs it)"
	if criu check >/dev/null 2>&1; then
		skip "criu check passes on this host ($(uname -r)): the failure path cannot be shown here"
	fi
}

# fake_images DIR: an image directory as a checkpoint writes it, far enough for
# restore to reach CRIU.
fake_images() {
	mkdir -p "$1"
	echo '["/dev/null","pipe:[1]","pipe:[2]"]' >"$1/descriptors.json"
}

# no_criu_path: a PATH without criu (and with what the runtime needs otherwise).
no_criu_path() {
	local d=$BATS_TEST_TMPDIR/nocriu
	mkdir -p "$d"
	echo "$d"
}

start_sleeper() {
	set_cmd 'exec sleep 1000'
	run_detached "$ID"
	[ "$(status_of "$ID")" = running ]
}

@test "checkpoint: criu check failing on this host fails the checkpoint, the container runs on" {
	criu_check_fails
	start_sleeper
	local pid
	pid=$(pid_of "$ID")
	run berth checkpoint --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
	pid_alive "$pid"
}

@test "checkpoint: the error quotes CRIU's reason (criu check)" {
	skip_if_runc "runc does not run criu check: its error is a bare 'criu failed' without CRIU's reason"
	criu_check_fails
	local reason
	reason=$(criu check 2>&1 | grep -m1 Error)
	start_sleeper
	run berth checkpoint --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu check"* ]]
	# CRIU's own first error line, as it printed it
	[[ "$output" == *"$reason"* ]]
	# checked before anything is made
	[ ! -e "$IMG" ]
}

@test "checkpoint: a created or stopped container is refused: container not running" {
	skip_if_runc "runc says 'cannot be checkpointed in created state', not the 'container not running' callers match"
	set_cmd 'exit 0'
	create_container "$ID"
	run berth checkpoint --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	[ "$(status_of "$ID")" = created ]
	berth start "$ID"
	wait_for_status "$ID" stopped
	run berth checkpoint --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	[ ! -e "$IMG" ]
}

@test "checkpoint: an unknown container does not exist" {
	run berth checkpoint --image-path "$IMG" "$ID-none"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -e "$IMG" ]
}

@test "checkpoint: criu missing from PATH is named, the container runs on" {
	start_sleeper
	local pid
	pid=$(pid_of "$ID")
	run env PATH="$(no_criu_path)" "$BERTH" --root "$ROOT" checkpoint --image-path "$IMG" "$ID" 3>&-
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *criu* ]]
	[[ "$output" == *"not found"* ]]
	[ "$(status_of "$ID")" = running ]
	pid_alive "$pid"
}

@test "checkpoint: a bad --manage-cgroups-mode names the flag" {
	skip_if_runc "runc says 'invalid manage-cgroups-mode value' only after it has checked CRIU, which fails first here"
	start_sleeper
	run berth checkpoint --image-path "$IMG" --manage-cgroups-mode bogus "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--manage-cgroups-mode"*bogus* ]]
	[ "$(status_of "$ID")" = running ]
	[ ! -e "$IMG" ]
}

@test "restore: a missing --image-path fails and leaves nothing" {
	run berth restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "restore: a missing --image-path is named, and not created" {
	skip_if_runc "runc creates the missing image directory, then fails on descriptors.json in it"
	run berth restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--image-path $IMG"*"no such file or directory"* ]]
	[ ! -e "$IMG" ]
	assert_nothing_left
}

@test "restore: criu check failing fails it, and nothing is left (state, cgroup, mount, process)" {
	criu_check_fails
	fake_images "$IMG"
	update_config '.linux.resources = {"pids": {"limit": 20}}'
	run berth restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "restore: the error quotes CRIU's reason (criu check)" {
	skip_if_runc "runc does not run criu check: its error is a bare 'criu failed' without CRIU's reason"
	criu_check_fails
	fake_images "$IMG"
	run berth restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu check"*"$(criu check 2>&1 | grep -m1 Error)"* ]]
	assert_nothing_left
}

@test "restore: criu missing from PATH is named, and nothing is left" {
	fake_images "$IMG"
	run env PATH="$(no_criu_path)" "$BERTH" --root "$ROOT" restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null 3>&-
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *criu* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "restore: an ID in use is refused, the container runs on" {
	start_sleeper
	fake_images "$IMG"
	local pid
	pid=$(pid_of "$ID")
	run berth restore -d --bundle "$BUNDLE" --image-path "$IMG" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
	[[ "$output" == *"container with given ID already exists"* ]]
}

@test "create: a stdio fd on the host's /dev/null becomes the container's own /dev/null (CRIU can dump it)" {
	start_sleeper
	local pid host_mnt n
	pid=$(pid_of "$ID")
	exec {n}</dev/null
	host_mnt=$(awk '/^mnt_id:/ {print $2}' "/proc/self/fdinfo/$n")
	exec {n}<&-
	# stdin was the host's /dev/null (_detached); stdout and stderr are files
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	local mnt
	mnt=$(awk '/^mnt_id:/ {print $2}' "/proc/$pid/fdinfo/0")
	echo "host /dev/null on mount $host_mnt, the container's stdin on $mnt"
	[ "$mnt" != "$host_mnt" ]
	# the mount is one of the container's: its /dev
	awk -v m="$mnt" '$1 == m { print; found = 1 } END { exit !found }' "/proc/$pid/mountinfo" | grep -q ' /dev '
	# and the files are left alone
	[ "$(readlink "/proc/$pid/fd/1")" = "$(cout "$ID")" ]
}
