#!/usr/bin/env bats
# cgroups: linux.resources on this host's hierarchies (v1 controllers; a hybrid host's
# cgroup2 mount for the controllers only it has), checked in the host's cgroup files
# while the container runs and by what the container can and cannot do; update,
# events (stats and OOM), pause/resume, ps, cgroupsPath forms, and cleanup.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# cg CONTROLLER [ID]: the container's directory in a v1 hierarchy (default cgroupsPath).
cg() { echo "/sys/fs/cgroup/$1/${2:-$ID}"; }

# need_v1 CONTROLLER: skip when the host has no v1 hierarchy for it.
need_v1() {
	[ -d "/sys/fs/cgroup/$1" ] && grep -qw "^$1" /proc/cgroups || skip "host has no v1 $1 hierarchy"
	awk -v c="$1" '$3 == "cgroup" || $9 == "cgroup" {print}' /proc/self/mountinfo | grep -q "[,/]$1[, ]" ||
		[ -e "/sys/fs/cgroup/$1/cgroup.procs" ] || skip "host has no v1 $1 hierarchy"
}

start_sleeper() {
	set_cmd 'echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
}

@test "cgroups: memory limit, swap, reservation, swappiness, disableOOMKiller reach the host's files and the container" {
	need_v1 memory
	update_config '.linux.resources.memory = {limit: 67108864, swap: 134217728, reservation: 33554432, swappiness: 10, disableOOMKiller: true}'
	set_cmd 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /host/inside; echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$(cg memory)/memory.soft_limit_in_bytes")" = 33554432 ]
	[ "$(cat "$(cg memory)/memory.swappiness")" = 10 ]
	grep -qx 'oom_kill_disable 1' "$(cg memory)/memory.oom_control"
	# in its cgroup namespace the container's own cgroup is the root of its cgroup mount
	[ "$(cat "$HOSTDIR/inside")" = 67108864 ]
}

@test "cgroups: a memory hog is OOM-killed, events reports the OOM, delete removes the cgroups" {
	need_v1 memory
	update_config '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	# tail buffers /dev/zero (no newline) until the OOM killer ends it; sh survives
	set_cmd 'echo ready > /host/ready; read go < /host/go-fifo; tail /dev/zero; echo "tail=$?" > /host/rc; exec sleep 300'
	mkfifo "$HOSTDIR/go-fifo"
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	berth events --interval 10s "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	local ev=$!
	defer "kill $ev 2>/dev/null; wait $ev 2>/dev/null || true"
	sleep 0.3
	echo go >"$HOSTDIR/go-fifo"
	wait_for_file "$HOSTDIR/rc" 20
	[ "$(cat "$HOSTDIR/rc")" = tail=137 ]
	wait_for_line "$BATS_TEST_TMPDIR/events" "{\"type\":\"oom\",\"id\":\"$ID\"}" 5
	# the first line is a stats event with the limit
	head -1 "$BATS_TEST_TMPDIR/events" | jq -e '.type == "stats" and .data.memory.usage.limit == 16777216'
	grep -q '^oom_kill [1-9]' "$(cg memory)/memory.oom_control"
	berth delete --force "$ID"
	# events ends by itself once the container is gone
	local i
	for i in $(seq 50); do kill -0 "$ev" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$ev" 2>/dev/null || false
	[ ! -d "$(cg memory)" ] && [ ! -d "$(cg pids)" ] && [ ! -d "$(cg cpu)" ]
}

@test "cgroups: a fork bomb stops at pids.max" {
	need_v1 pids
	update_config '.linux.resources.pids = {limit: 10}'
	# ash gives up at the first failed fork: fork in a subshell that may die
	set_cmd '(i=0; while [ $i -lt 40 ]; do sleep 300 & i=$((i+1)); done) 2>/host/forkerr; echo done > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready" 20
	[ "$(cat "$(cg pids)/pids.max")" = 10 ]
	[ "$(cat "$(cg pids)/pids.current")" -le 10 ]
	grep -qi 'fork\|resource temporarily unavailable' "$HOSTDIR/forkerr"
	[ "$(berth ps --format json "$ID" | jq length)" -le 10 ]
}

@test "cgroups: cpu shares, quota, period, burst, realtime, idle and cpuset" {
	need_v1 cpu
	need_v1 cpuset
	local cpus
	cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.effective_cpus)
	update_config --arg cpus "${cpus%%[-,]*}" '.linux.resources.cpu = {shares: 256, quota: 20000, period: 50000, burst: 1000, realtimePeriod: 1000000, realtimeRuntime: 0, idle: 0, cpus: $cpus, mems: "0"}'
	set_cmd 'cat /proc/self/status > /host/status; echo ready > /host/ready; exec sleep 300'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cg cpu)/cpu.shares")" = 256 ]
	[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 20000 ]
	[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 50000 ]
	[ "$(cat "$(cg cpu)/cpu.cfs_burst_us")" = 1000 ]
	[ "$(cat "$(cg cpu)/cpu.rt_period_us")" = 1000000 ]
	[ "$(cat "$(cg cpuset)/cpuset.cpus")" = "${cpus%%[-,]*}" ]
	# the kernel confines the process to that CPU
	grep -q "^Cpus_allowed_list:[[:space:]]*${cpus%%[-,]*}\$" "$HOSTDIR/status"
}

@test "cgroups: devices, a denied device cannot be opened, an allowed one only as allowed" {
	need_v1 devices
	update_config '.linux.devices = [{path: "/dev/blk0", type: "b", major: 7, minor: 0, fileMode: 438}]
		| .linux.resources.devices = [{allow: false, access: "rwm"}]'
	set_cmd 'head -c0 /dev/blk0 2>/host/err && echo open > /host/res || echo denied > /host/res'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOSTDIR/res")" = denied ]
	grep -q 'Operation not permitted' "$HOSTDIR/err"
	berth delete "$ID" 2>/dev/null || true

	update_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "r"}]'
	set_cmd 'head -c0 /dev/blk0 && echo read-ok > /host/res; (echo x > /dev/blk0) 2>/host/err2 || echo write-denied >> /host/res
		cat /dev/null && echo null-ok >> /host/res'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOSTDIR/res")" = "read-ok
write-denied
null-ok" ]
	grep -q 'Operation not permitted' "$HOSTDIR/err2"
}

@test "cgroups: blkio throttles are written per device; a controller file the host lacks is a clear error naming the field" {
	need_v1 blkio
	local mm
	mm=$(cat /sys/block/loop0/dev)
	update_config --argjson maj "${mm%:*}" --argjson min "${mm#*:}" \
		'.linux.resources.blockIO = {throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}], throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 100}]}'
	start_sleeper
	grep -qx "$mm 1048576" "$(cg blkio)/blkio.throttle.read_bps_device"
	grep -qx "$mm 100" "$(cg blkio)/blkio.throttle.write_iops_device"
	berth delete --force "$ID"

	[ ! -e /sys/fs/cgroup/blkio/blkio.weight ] || skip "this host has blkio.weight"
	update_config '.linux.resources.blockIO.weight = 500'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.blockIO.weight"* ]]
	[[ "$stderr" == *"blkio.weight"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "cgroups: a resource whose controller the host lacks is an error naming it; empty values are fine" {
	for c in net_cls net_prio rdma; do
		[ ! -e "/sys/fs/cgroup/$c" ] || skip "host has a $c hierarchy"
	done
	update_config '.linux.resources.network = {classID: 1048577}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.network.classID"*"net_cls"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]

	update_config '.linux.resources.network = {} | .linux.resources.rdma = {}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -eq 0 ]
}

@test "cgroups: an invalid value fails create with the field named and nothing left" {
	update_config '.linux.resources.cpu = {cpus: "9999"}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.cpu.cpus"*"cpuset.cpus"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "cgroups: a memory limit too low for init says so, and nothing is left" {
	need_v1 memory
	update_config '.linux.resources.memory = {limit: 1}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"killed by SIGKILL"*"ran out of memory"*"linux.resources.memory.limit 1 is too low"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "update: flags change only what they name; --resources JSON; Docker-style zeros touch nothing" {
	need_v1 memory
	need_v1 pids
	update_config '.linux.resources.memory = {limit: 67108864, swap: 67108864} | .linux.resources.pids = {limit: 100}'
	start_sleeper
	berth update --pids-limit 50 "$ID"
	[ "$(cat "$(cg pids)/pids.max")" = 50 ]
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 67108864 ]
	# raising the limit above the current memsw needs memsw first; lowering, limit first
	berth update --memory 128m --memory-swap 256m "$ID"
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = 268435456 ]
	berth update --memory 32m --memory-swap 32m "$ID"
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = 33554432 ]
	berth update --cpu-share 300 --cpu-quota 30000 --cpu-period 60000 "$ID"
	[ "$(cat "$(cg cpu)/cpu.shares")" = 300 ]
	[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 30000 ]
	# what containerd sends for `docker update --pids-limit 20`: zeros elsewhere
	echo '{"memory":{"limit":0,"reservation":0,"swap":0},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":20}}' |
		berth update --resources - "$ID"
	[ "$(cat "$(cg pids)/pids.max")" = 20 ]
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$(cg cpu)/cpu.shares")" = 300 ]
	# the state keeps the merged resources
	[ "$(jq -c '.config.resources.pids' "$ROOT/$ID/state.json")" = '{"limit":20}' ]
	[ "$(jq -c '.config.resources.memory.limit' "$ROOT/$ID/state.json")" = 33554432 ]
	[ "$(jq -c '.config.resources.cpu.shares' "$ROOT/$ID/state.json")" = 300 ]
}

@test "update: bad input is an error naming the flag or file; checkBeforeUpdate refuses a limit below usage" {
	need_v1 memory
	start_sleeper
	run --separate-stderr berth update --memory lots "$ID"
	[ "$status" -ne 0 ] && [[ "$stderr" == *"--memory"*"lots"* ]]
	echo '{"memroy":{}}' >"$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr berth update -r "$BATS_TEST_TMPDIR/r.json" "$ID"
	[ "$status" -ne 0 ] && [[ "$stderr" == *"r.json"*"memroy"* ]]
	run --separate-stderr berth update --l3-cache-schema L3:0=f "$ID"
	[ "$status" -ne 0 ] && [[ "$stderr" == *"l3-cache-schema"* ]]
	run --separate-stderr berth update --pids-limit 5 nosuch-"$ID"
	[ "$status" -ne 0 ]
	echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' | { run --separate-stderr berth update -r - "$ID"; echo "$stderr" >"$BATS_TEST_TMPDIR/err"; [ "$status" -ne 0 ]; }
	grep -q 'checkBeforeUpdate' "$BATS_TEST_TMPDIR/err"
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" != 4096 ]
	berth kill "$ID" KILL
	wait_for_status "$ID" stopped
	run --separate-stderr berth update --pids-limit 5 "$ID"
	[ "$status" -ne 0 ] && [[ "$stderr" == *stopped* ]]
}

@test "events --stats: one JSON stats line with cpu, memory and pids" {
	update_config '.linux.resources.pids = {limit: 33}'
	start_sleeper
	run --separate-stderr berth events --stats "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id and .data.pids.current >= 1 and .data.pids.limit == 33 and .data.memory.usage.usage > 0 and .data.cpu.usage.total > 0'
}

@test "events --interval: a stats line per interval until the container stops" {
	mkfifo "$HOSTDIR/stop"
	set_cmd 'echo ready > /host/ready; read x < /host/stop'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	berth events --interval 200ms "$ID" >"$BATS_TEST_TMPDIR/events" 2>"$BATS_TEST_TMPDIR/events.err" &
	local ev=$!
	defer "kill $ev 2>/dev/null || true"
	local i
	for i in $(seq 100); do [ "$(wc -l <"$BATS_TEST_TMPDIR/events")" -ge 3 ] && break; sleep 0.1; done
	echo stop >"$HOSTDIR/stop"
	# events ends by itself, successfully, once the container has stopped
	wait "$ev"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/events")" -ge 3 ]
	while read -r l; do echo "$l" | jq -e --arg id "$ID" '.type == "stats" and .id == $id'; done <"$BATS_TEST_TMPDIR/events"
}

@test "pause/resume: the freezer state on the host, and ps --format json lists the processes" {
	need_v1 freezer
	set_cmd 'sleep 300 & echo ready > /host/ready; exec sleep 301'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	berth pause "$ID"
	[ "$(cat "$(cg freezer)/freezer.state")" = FROZEN ]
	[ "$(status_of "$ID")" = paused ]
	local pids
	pids=$(berth ps --format json "$ID")
	[ "$(echo "$pids" | jq length)" -eq 2 ]
	for p in $(echo "$pids" | jq -r '.[]'); do
		[ "$(proc_state "$p")" = D ] || [ "$(proc_state "$p")" = S ] || grep -q frozen "/proc/$p/status" || true
		grep -q "freezer:/$ID\$" "/proc/$p/cgroup"
	done
	berth resume "$ID"
	[ "$(cat "$(cg freezer)/freezer.state")" = THAWED ]
	[ "$(status_of "$ID")" = running ]
	run --separate-stderr berth resume "$ID"
	[ "$status" -ne 0 ]
}

@test "cgroupsPath: absolute, and relative to berth's own cgroup" {
	need_v1 pids
	update_config --arg p "/berthtest-$ID/inner" '.linux.cgroupsPath = $p'
	defer "rmdir /sys/fs/cgroup/*/berthtest-$ID 2>/dev/null || true"
	start_sleeper
	[ -d "/sys/fs/cgroup/pids/berthtest-$ID/inner" ]
	grep -q "pids:/berthtest-$ID/inner\$" "/proc/$(pid_of "$ID")/cgroup"
	berth delete --force "$ID"
	# the parent berth made for the nested path goes too, on every hierarchy
	[ ! -d "/sys/fs/cgroup/pids/berthtest-$ID" ] && [ ! -d "/sys/fs/cgroup/memory/berthtest-$ID" ]

	# a parent that existed before stays
	mkdir "/sys/fs/cgroup/pids/berthtest-$ID"
	rm -f "$HOSTDIR/ready"
	start_sleeper
	berth delete --force "$ID"
	[ -d "/sys/fs/cgroup/pids/berthtest-$ID" ] && [ ! -d "/sys/fs/cgroup/pids/berthtest-$ID/inner" ]
	[ ! -d "/sys/fs/cgroup/memory/berthtest-$ID" ]
	rmdir "/sys/fs/cgroup/pids/berthtest-$ID"

	# relative: under the cgroup berth itself runs in (here the caller's memory cgroup)
	local own
	own=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
	update_config --arg p "rel-$ID" '.linux.cgroupsPath = $p'
	rm -f "$HOSTDIR/ready"
	start_sleeper
	grep -q "memory:${own%/}/rel-$ID\$" "/proc/$(pid_of "$ID")/cgroup"
}

@test "delete: removes the cgroups even after the processes were killed from outside" {
	need_v1 pids
	set_cmd 'sleep 300 & echo ready > /host/ready; exec sleep 301'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local p
	# killing init ends the pid namespace, so the others may be gone already
	for p in $(cat "$(cg pids)/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done
	wait_for_status "$ID" stopped
	berth delete "$ID"
	[ -z "$(leftover_cgroups)" ]
}

@test "exec --cgroup: runs in an existing sub-cgroup, for all hierarchies or named controllers" {
	need_v1 pids
	need_v1 memory
	start_sleeper
	mkdir "$(cg pids)/sub" "$(cg memory)/msub"
	berth exec --cgroup sub "$ID" sh -c 'cat /proc/self/cgroup > /host/all' 2>"$BATS_TEST_TMPDIR/err" && false
	# "sub" exists in pids only: refused, naming it, for a hierarchy without it
	grep -q 'sub-cgroup sub' "$BATS_TEST_TMPDIR/err"
	berth exec --cgroup pids:sub --cgroup memory:msub "$ID" cat /proc/self/cgroup >"$HOSTDIR/named"
	# (the host's paths where the spec has no cgroup namespace: a v1 or hybrid host)
	grep -Eqx "[0-9]+:pids:(/$ID)?/sub" "$HOSTDIR/named"
	grep -Eqx "[0-9]+:memory:(/$ID)?/msub" "$HOSTDIR/named"
	grep -Eqx "[0-9]+:cpu:(/$ID|/)" "$HOSTDIR/named"
	run --separate-stderr berth exec --cgroup ../escape "$ID" true
	[ "$status" -ne 0 ] && [[ "$stderr" == *"--cgroup"* ]]
	run --separate-stderr berth exec --cgroup nosuchctl:sub "$ID" true
	[ "$status" -ne 0 ] && [[ "$stderr" == *"nosuchctl"* ]]
}

@test "cgroups: hugetlb on a hybrid host goes to the cgroup2 mount, where the host has it" {
	[ ! -e /sys/fs/cgroup/hugetlb ] || skip "host has a v1 hugetlb hierarchy"
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || skip "host has no hugetlb controller on a cgroup2 mount"
	update_config '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
	start_sleeper
	[ "$(cat "/sys/fs/cgroup/unified/$ID/hugetlb.2MB.max")" = 4194304 ]
	grep -q "^0::/$ID\$" "/proc/$(pid_of "$ID")/cgroup"
	berth events --stats "$ID" | jq -e '.data.hugetlb["2MB"] != null'
	berth delete --force "$ID"
	[ ! -d "/sys/fs/cgroup/unified/$ID" ]
}
