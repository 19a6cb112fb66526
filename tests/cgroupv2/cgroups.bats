#!/usr/bin/env bats
# cgroups on a pure cgroup v2 host (run by run.sh in the VM of tests/vm/run-in-vm.sh): each
# linux.resources value in the container's cgroup file, behaviour inside (OOM kill,
# pids.max, eBPF device filter), update, events, pause/resume, kill --all, nested
# cgroupsPath with controllers enabled down the tree, and cleanup. The v1/hybrid
# counterpart is tests/integration/cgroups.bats.

load ../integration/helpers

setup() {
	[ -e /sys/fs/cgroup/cgroup.subtree_control ] && [ ! -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
		skip "not a pure cgroup v2 host (run tests/cgroupv2/run.sh)"
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# cg [ID]: the container's cgroup (default cgroupsPath /ID).
cg() { echo "/sys/fs/cgroup/${1:-$ID}"; }

start_sleeper() {
	set_cmd 'echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
}

@test "v2: memory limit, swap (memory+swap -> swap alone), reservation; v1-only fields ignored; seen inside" {
	update_config '.linux.resources.memory = {limit: 67108864, swap: 100663296, reservation: 33554432, swappiness: 10, kernel: 1048576, disableOOMKiller: true}'
	set_cmd 'cat /sys/fs/cgroup/memory.max > /host/inside; cat /proc/self/cgroup > /host/self; echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cg)/memory.max")" = 67108864 ]
	[ "$(cat "$(cg)/memory.swap.max")" = 33554432 ]
	[ "$(cat "$(cg)/memory.low")" = 33554432 ]
	# the cgroup namespace: its own cgroup is the root of the container's view
	[ "$(cat "$HOSTDIR/inside")" = 67108864 ]
	[ "$(cat "$HOSTDIR/self")" = "0::/" ]
	grep -qx "0::/$ID" "/proc/$(pid_of "$ID")/cgroup"
}

@test "v2: a memory hog is OOM-killed, events reports the OOM, delete removes the cgroup" {
	update_config '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	set_cmd 'echo ready > /host/ready; read go < /host/go-fifo; tail /dev/zero; echo "tail=$?" > /host/rc; exec sleep 300'
	mkfifo "$HOSTDIR/go-fifo"
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cg)/memory.swap.max")" = 0 ]
	berth events --interval 10s "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	local ev=$!
	defer "kill $ev 2>/dev/null; wait $ev 2>/dev/null || true"
	sleep 0.3
	echo go >"$HOSTDIR/go-fifo"
	wait_for_file "$HOSTDIR/rc" 30
	[ "$(cat "$HOSTDIR/rc")" = tail=137 ]
	wait_for_line "$BATS_TEST_TMPDIR/events" "{\"type\":\"oom\",\"id\":\"$ID\"}" 5
	head -1 "$BATS_TEST_TMPDIR/events" | jq -e '.type == "stats" and .data.memory.usage.limit == 16777216'
	grep -qx 'oom_kill 1' "$(cg)/memory.events"
	berth delete --force "$ID"
	local i
	for i in $(seq 50); do kill -0 "$ev" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$ev" 2>/dev/null || false
	[ ! -d "$(cg)" ]
}

@test "v2: a fork bomb stops at pids.max" {
	update_config '.linux.resources.pids = {limit: 10}'
	set_cmd '(i=0; while [ $i -lt 40 ]; do sleep 300 & i=$((i+1)); done) 2>/host/forkerr; echo done > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready" 30
	[ "$(cat "$(cg)/pids.max")" = 10 ]
	[ "$(cat "$(cg)/pids.current")" -le 10 ]
	grep -q 'max [1-9]' "$(cg)/pids.events"
	grep -qi "fork\|resource temporarily unavailable" "$HOSTDIR/forkerr"
	[ "$(berth ps --format json "$ID" | jq length)" -le 10 ]
}

@test "v2: cpu shares -> cpu.weight, quota and period -> cpu.max, burst, idle, cpuset" {
	update_config '.linux.resources.cpu = {shares: 512, quota: 20000, period: 50000, burst: 1000, idle: 0, cpus: "1", mems: "0"}'
	set_cmd 'cat /proc/self/status > /host/status; echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	# runc's conversion: 1 + (512-2)*9999/262142
	[ "$(cat "$(cg)/cpu.weight")" = 20 ]
	[ "$(cat "$(cg)/cpu.max")" = "20000 50000" ]
	[ "$(cat "$(cg)/cpu.max.burst")" = 1000 ]
	[ "$(cat "$(cg)/cpu.idle")" = 0 ]
	[ "$(cat "$(cg)/cpuset.cpus")" = 1 ]
	[ "$(cat "$(cg)/cpuset.mems")" = 0 ]
	grep -q "^Cpus_allowed_list:[[:space:]]*1\$" "$HOSTDIR/status"
}

@test "v2: realtime cpu values are refused, naming the field; nothing is left" {
	update_config '.linux.resources.cpu = {realtimeRuntime: 950000, realtimePeriod: 1000000}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.cpu.realtimeRuntime"*"cgroup v2"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "v2: devices through the eBPF filter: a denied device cannot be opened, an allowed one only as allowed" {
	[ -e /sys/block/loop0 ] || skip "no loop0 (run.sh loads the loop module)"
	update_config '.linux.devices = [{path: "/dev/blk0", type: "b", major: 7, minor: 0, fileMode: 438}]
		| .linux.resources.devices = [{allow: false, access: "rwm"}]'
	set_cmd 'head -c0 /dev/blk0 2>/host/err && echo open > /host/res || echo denied > /host/res'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOSTDIR/res")" = denied ]
	grep -q 'Operation not permitted' "$HOSTDIR/err"
	# no v1 files: the filter is a program attached to the cgroup
	berth delete "$ID" 2>/dev/null || true

	update_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "r"}]'
	add_caps CAP_MKNOD
	set_cmd 'head -c0 /dev/blk0 && echo read-ok > /host/res; (echo x > /dev/blk0) 2>/host/err2 || echo write-denied >> /host/res
		cat /dev/null && echo null-ok >> /host/res; mknod /dev/k c 1 11 && echo mknod-ok >> /host/res
		(echo x > /dev/k) 2>/host/err3 || echo kmsg-denied >> /host/res'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOSTDIR/res")" = "read-ok
write-denied
null-ok
mknod-ok
kmsg-denied" ]
	grep -q 'Operation not permitted' "$HOSTDIR/err2"
	grep -q 'Operation not permitted' "$HOSTDIR/err3"
}

@test "v2: blkio weight -> io.weight, throttles -> one io.max line per device" {
	[ -e /sys/block/loop0 ] || skip "no loop0 (run.sh loads the loop module)"
	local mm
	mm=$(cat /sys/block/loop0/dev)
	update_config --argjson maj "${mm%:*}" --argjson min "${mm#*:}" \
		'.linux.resources.blockIO = {weight: 500, throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}], throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 100}]}'
	start_sleeper
	[ "$(cat "$(cg)/io.weight")" = "default 4950" ]
	grep -qx "$mm rbps=1048576 wbps=max riops=max wiops=100" "$(cg)/io.max"
}

@test "v2: hugepage limits set the fault and the reservation limits" {
	[ -e /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	update_config '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
	start_sleeper
	[ "$(cat "$(cg)/hugetlb.2MB.max")" = 4194304 ]
	[ "$(cat "$(cg)/hugetlb.2MB.rsvd.max")" = 4194304 ]
}

@test "v2: unified keys are written after the typed fields; a path as a key is refused" {
	update_config '.linux.resources.pids = {limit: 50} | .linux.resources.unified = {"memory.high": "50003968", "pids.max": "40"}'
	start_sleeper
	[ "$(cat "$(cg)/memory.high")" = 50003968 ]
	[ "$(cat "$(cg)/pids.max")" = 40 ]
	berth delete --force "$ID"

	update_config '.linux.resources.unified = {"../memory.max": "1"}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'linux.resources.unified["../memory.max"]'* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "v2: an invalid value fails create with the field named and nothing left" {
	update_config '.linux.resources.cpu = {cpus: "9999"}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.cpu.cpus"*"cpuset.cpus"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "v2 update: flags change only what they name; a quota alone keeps the period; Docker-style zeros touch nothing" {
	update_config '.linux.resources.memory = {limit: 67108864, swap: 67108864} | .linux.resources.pids = {limit: 100}
		| .linux.resources.cpu = {quota: 20000, period: 50000}'
	start_sleeper
	berth update --pids-limit 50 "$ID"
	[ "$(cat "$(cg)/pids.max")" = 50 ]
	[ "$(cat "$(cg)/memory.max")" = 67108864 ]
	[ "$(cat "$(cg)/memory.swap.max")" = 0 ]
	berth update --memory 128m --memory-swap 256m "$ID"
	[ "$(cat "$(cg)/memory.max")" = 134217728 ]
	[ "$(cat "$(cg)/memory.swap.max")" = 134217728 ]
	berth update --cpu-share 300 --cpu-quota 30000 "$ID"
	[ "$(cat "$(cg)/cpu.weight")" = 12 ]
	[ "$(cat "$(cg)/cpu.max")" = "30000 50000" ]
	echo '{"memory":{"limit":0,"reservation":0,"swap":0},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":20}}' |
		berth update --resources - "$ID"
	[ "$(cat "$(cg)/pids.max")" = 20 ]
	[ "$(cat "$(cg)/memory.max")" = 134217728 ]
	[ "$(cat "$(cg)/cpu.weight")" = 12 ]
	[ "$(cat "$(cg)/cpu.max")" = "30000 50000" ]
	[ "$(jq -c '.config.resources.pids' "$ROOT/$ID/state.json")" = '{"limit":20}' ]
	# checkBeforeUpdate refuses a limit below the usage
	echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' | { run --separate-stderr berth update -r - "$ID"; echo "$stderr" >"$BATS_TEST_TMPDIR/err"; [ "$status" -ne 0 ]; }
	grep -q 'checkBeforeUpdate' "$BATS_TEST_TMPDIR/err"
	[ "$(cat "$(cg)/memory.max")" = 134217728 ]
}

@test "v2 update: a value v2 derives from another (cpu.max, swap) is written with the other one in force" {
	update_config '.linux.resources.memory = {limit: 67108864, swap: 100663296} | .linux.resources.cpu = {quota: 20000, period: 50000}'
	start_sleeper
	# cpu.max holds quota and period: a new period alone keeps the quota
	berth update --cpu-period 60000 "$ID"
	[ "$(cat "$(cg)/cpu.max")" = "20000 60000" ]
	# memory.swap.max is the spec's memory+swap less the memory limit in force
	berth update --memory-swap 201326592 "$ID"
	[ "$(cat "$(cg)/memory.swap.max")" = 134217728 ]
	[ "$(cat "$(cg)/memory.max")" = 67108864 ]
	# and a new memory limit alone keeps the memory+swap total
	berth update --memory 134217728 "$ID"
	[ "$(cat "$(cg)/memory.max")" = 134217728 ]
	[ "$(cat "$(cg)/memory.swap.max")" = 67108864 ]
}

@test "v2 events --stats: one JSON stats line with cpu, memory and pids" {
	update_config '.linux.resources.pids = {limit: 33} | .linux.resources.memory = {limit: 67108864}'
	start_sleeper
	run --separate-stderr berth events --stats "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id and .data.pids.current >= 1 and .data.pids.limit == 33
		and .data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864 and .data.cpu.usage.total > 0'
}

@test "v2 pause/resume: cgroup.freeze on the host; ps lists the processes; kill --all" {
	set_cmd 'sleep 300 & echo ready > /host/ready; exec sleep 301'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	berth pause "$ID"
	[ "$(cat "$(cg)/cgroup.freeze")" = 1 ]
	grep -qx 'frozen 1' "$(cg)/cgroup.events"
	[ "$(status_of "$ID")" = paused ]
	[ "$(berth ps --format json "$ID" | jq length)" -eq 2 ]
	berth resume "$ID"
	[ "$(cat "$(cg)/cgroup.freeze")" = 0 ]
	[ "$(status_of "$ID")" = running ]
	berth kill --all "$ID" KILL
	wait_for_status "$ID" stopped
	grep -qx 'populated 0' "$(cg)/cgroup.events"
}

@test "v2 cgroupsPath: nested absolute path gets its controllers enabled down the tree; delete removes what berth made" {
	update_config --arg p "/berthtest-$ID/inner" '.linux.cgroupsPath = $p | .linux.resources.pids = {limit: 7} | .linux.resources.memory = {limit: 67108864}'
	defer "rmdir /sys/fs/cgroup/berthtest-$ID 2>/dev/null || true"
	start_sleeper
	local parent=/sys/fs/cgroup/berthtest-$ID
	[ "$(cat "$parent/inner/pids.max")" = 7 ]
	[ "$(cat "$parent/inner/memory.max")" = 67108864 ]
	grep -qw pids "$parent/cgroup.subtree_control"
	grep -qw memory "$parent/cgroup.subtree_control"
	grep -qx "0::/berthtest-$ID/inner" "/proc/$(pid_of "$ID")/cgroup"
	berth delete --force "$ID"
	[ ! -d "$parent" ]
}

@test "v2 delete: removes the cgroup even after the processes were killed from outside" {
	set_cmd 'sleep 300 & echo ready > /host/ready; exec sleep 301'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local p
	# killing init ends the pid namespace: the others may be gone already
	for p in $(cat "$(cg)/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done
	wait_for_status "$ID" stopped
	berth delete "$ID"
	[ -z "$(leftover_cgroups)" ]
}
