#!/usr/bin/env bats
# Behaving as runc 1.5 does (issue 14), cgroups: block I/O weights where the host has
# BFQ's files, pids.limit 0, `update --memory -1` and memory+swap, device rule access
# letters. Checked in the host's v1 files and, where it shows, inside the container.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	# absolute: without one, runc 1.5 makes a v1 container's cgroups under its own
	update_config --arg p "/$ID" '.linux.cgroupsPath = $p'
}
teardown() { teardown_berth; }

# cg CONTROLLER [ID]: the container's directory in a v1 hierarchy (cgroupsPath /ID).
cg() { echo "/sys/fs/cgroup/$1/${2:-$ID}"; }

# need_v1 CONTROLLER: skip when the host has no v1 hierarchy for it.
need_v1() {
	[ -e "/sys/fs/cgroup/$1/cgroup.procs" ] && grep -qw "^$1" /proc/cgroups || skip "host has no v1 $1 hierarchy"
}

start_sleeper() {
	set_cmd "${1:-}"'echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
}

@test "compat cgroups: blockIO weights go to blkio.bfq.weight(_device) where blkio.weight is absent" {
	need_v1 blkio
	[ ! -e /sys/fs/cgroup/blkio/blkio.weight ] || skip "this host has CFQ's blkio.weight"
	local mm
	mm=$(cat /sys/block/loop0/dev)
	if [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
		update_config --argjson maj "${mm%:*}" --argjson min "${mm#*:}" \
			'.linux.resources.blockIO = {weight: 500, weightDevice: [{major: $maj, minor: $min, weight: 300}]}'
		start_sleeper
		grep -Eq '(^| )500$' "$(cg blkio)/blkio.bfq.weight"
		grep -qx "$mm 300" "$(cg blkio)/blkio.bfq.weight_device"
		return
	fi
	# This host has no BFQ either (no CONFIG_IOSCHED_BFQ): what was written to shows in
	# the error, which must name BFQ's file, and nothing may be left.
	update_config '.linux.resources.blockIO = {weight: 500}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *blkio.bfq.weight* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
	update_config --argjson maj "${mm%:*}" --argjson min "${mm#*:}" \
		'.linux.resources.blockIO = {weightDevice: [{major: $maj, minor: $min, weight: 300}]}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *blkio.bfq.weight_device* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "compat cgroups: pids.limit 0 is pids.max 1 (the container cannot fork), at create and in update" {
	need_v1 pids
	update_config '.linux.resources.pids = {limit: 0}'
	# sleep is not a shell builtin: running it needs a fork, which fails (and busybox sh
	# gives up there)
	mkfifo "$HOSTDIR/go"
	set_cmd 'echo ready > /host/ready; read x < /host/go; sleep 0; echo "rc=$?" > /host/rc; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cg pids)/pids.max")" = 1 ]
	echo go >"$HOSTDIR/go"
	wait_for_status "$ID" stopped
	[ "$(cat "$HOSTDIR/rc" 2>/dev/null)" != rc=0 ]
	grep -Eqx 'max [1-9][0-9]*' "$(cg pids)/pids.events"
	berth delete "$ID"
	# update: --pids-limit 0 and {"pids": {"limit": 0}} are pids.max 1 too
	update_config --arg p "/$ID-2" '.process.args = ["sleep", "300"] | .linux.cgroupsPath = $p'
	run_detached "$ID-2"
	[ "$(cat "$(cg pids "$ID-2")/pids.max")" = 1 ]
	berth update --pids-limit 5 "$ID-2"
	[ "$(cat "$(cg pids "$ID-2")/pids.max")" = 5 ]
	berth update --pids-limit 0 "$ID-2"
	[ "$(cat "$(cg pids "$ID-2")/pids.max")" = 1 ]
	berth update --pids-limit 5 "$ID-2"
	echo '{"pids": {"limit": 0}}' | berth update -r - "$ID-2"
	[ "$(cat "$(cg pids "$ID-2")/pids.max")" = 1 ]
}

@test "compat cgroups: update --memory -1 lifts memory+swap too on v1" {
	need_v1 memory
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "host has no swap accounting"
	update_config '.linux.resources.memory = {limit: 67108864, swap: 134217728}'
	start_sleeper
	[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = 134217728 ]
	berth update --memory -1 "$ID"
	local unl
	unl=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = "$unl" ]
	[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = "$unl" ]
	# the container can now use more than the old 128 MiB of memory+swap
	berth update --memory 64m "$ID"
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 67108864 ]
}

@test "compat cgroups: device rule access letters other than r, w and m are left out" {
	need_v1 devices
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: true, type: "c", major: 42, minor: 42, access: "rwx"},
		{allow: true, type: "c", major: 42, minor: 43, access: "mXr"}]'
	start_sleeper
	grep -qx 'c 42:42 rw' "$(cg devices)/devices.list"
	grep -qx 'c 42:43 rm' "$(cg devices)/devices.list"
	berth delete --force "$ID"
	# an access with none of the three is an error, and leaves nothing
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: true, type: "c", major: 42, minor: 42, access: "xyz"}]'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *devices* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}
