#!/usr/bin/env bats
# Error texts that clients and scripts match, kept as runc 1.5's (issue 14, item 13),
# and the refusals that come with them: unified on a host with v1 controllers, a
# container cgroup that already holds processes or is frozen. Each failure leaves
# nothing behind, and nothing of what was there before is touched.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# v1_hierarchies: the mount points of the host's v1 cgroup hierarchies.
v1_hierarchies() {
	awk '$9 == "cgroup" && $5 ~ "^/sys/fs/cgroup/" {print $5}' /proc/self/mountinfo
}

skip_without_v1() {
	[ -n "$(v1_hierarchies)" ] || skip "the host has no cgroup v1 hierarchy"
}

# precreate_cgroup: make /berthtest-$ID on every cgroup hierarchy (v1 and the cgroup2
# mount), as something other than the runtime would, and point cgroupsPath at it.
# Its removal is deferred (last: after the processes in it are gone).
precreate_cgroup() {
	local m
	CGDIRS=()
	for m in $(awk '($9 == "cgroup" || $9 == "cgroup2") && $5 ~ "^/sys/fs/cgroup" {print $5}' /proc/self/mountinfo); do
		mkdir "$m/berthtest-$ID"
		# a v1 cpuset takes no process until it has CPUs and memory nodes
		if [ -e "$m/cpuset.cpus" ]; then
			cat "$m/cpuset.cpus" >"$m/berthtest-$ID/cpuset.cpus"
			cat "$m/cpuset.mems" >"$m/berthtest-$ID/cpuset.mems"
		fi
		CGDIRS+=("$m/berthtest-$ID")
		defer "rmdir $m/berthtest-$ID"
	done
	update_config --arg p "/berthtest-$ID" '.linux.cgroupsPath = $p'
}

@test "a failing hook: 'error running <kind> hook #<i>:', nothing left" {
	update_config '.hooks = {"createRuntime": [{"path": "/bin/true"}, {"path": "/bin/false"}]}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"error running createRuntime hook #1:"* ]]
	assert_nothing_left
}

@test "seccomp agent not listening: 'failed to connect with seccomp agent specified in the seccomp profile'" {
	local sock=$BATS_TEST_TMPDIR/nobody.sock
	update_config --arg s "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s,
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"failed to connect with seccomp agent specified in the seccomp profile: "*"$sock"* ]]
	assert_nothing_left
}

@test "linux.resources.unified where v1 controllers are mounted: refused in runc's words, nothing made" {
	skip_without_v1
	update_config '.linux.resources.unified = {"pids.max": "10"}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"invalid configuration: cannot use unified on cgroup v1"* ]]
	assert_nothing_left
	[ -z "$(leftover_cgroups)" ]
}

@test "update with linux.resources.unified where v1 controllers are mounted: refused, limits unchanged" {
	skip_without_v1
	set_cmd 'sleep 300'
	run_detached "$ID"
	local pids before
	pids=$(awk -F: '$2 == "pids" {print $3}' "/proc/$(pid_of "$ID")/cgroup")
	before=$(cat "/sys/fs/cgroup/pids$pids/pids.max")
	run --separate-stderr berth update -r - "$ID" <<<'{"unified": {"pids.max": "10"}}'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"invalid configuration: cannot use unified on cgroup v1"* ]]
	[ "$(cat "/sys/fs/cgroup/pids$pids/pids.max")" = "$before" ]
}

@test "SCHED_DEADLINE with a cpuset: 'process scheduler can't be used together with AllowedCPUs'" {
	skip_if_rootless
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs: a cpuset of all CPUs is no restriction"
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 2000000, "period": 2000000}
		| .linux.resources.cpu = {"cpus": "0"}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"process scheduler can't be used together with AllowedCPUs"* ]]
	assert_nothing_left
}

@test "a program whose interpreter is missing: 'exec <path>: no such file or directory' on one line" {
	printf '#!/no/such/interpreter\necho never\n' >"$BUNDLE/rootfs/script.sh"
	chmod 755 "$BUNDLE/rootfs/script.sh"
	update_config '.process.args = ["/script.sh"]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr$output" != *never* ]]
	# the whole reason on one line, naming the program
	grep -q 'exec /script.sh: no such file or directory' <<<"$stderr"
	[ "$(grep -c 'no such file or directory' <<<"$stderr")" = 1 ]
}

@test "create in a cgroup that holds a process: refused in runc's words, the process and cgroup untouched" {
	skip_if_rootless
	precreate_cgroup
	sleep 300 &
	local outsider=$!
	defer "kill -9 $outsider; wait $outsider"
	local d
	for d in "${CGDIRS[@]}"; do echo "$outsider" >"$d/cgroup.procs"; done
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	# the outsider still runs, in the cgroup, which still exists
	kill -0 "$outsider"
	for d in "${CGDIRS[@]}"; do
		[ -d "$d" ]
		grep -qx "$outsider" "$d/cgroup.procs"
	done
	[ -z "$(ls -A "$ROOT")" ]
	# move it out, so that the deferred rmdir can work
	for d in "${CGDIRS[@]}"; do echo "$outsider" >"$(dirname "$d")/cgroup.procs"; done
}

@test "create in a frozen cgroup: refused at once ('container's cgroup unexpectedly frozen'), no hang" {
	skip_if_rootless
	[ -e /sys/fs/cgroup/freezer/freezer.state ] || [ -d /sys/fs/cgroup/freezer ] || skip "the host has no v1 freezer"
	precreate_cgroup
	echo FROZEN >"/sys/fs/cgroup/freezer/berthtest-$ID/freezer.state"
	defer "echo THAWED >/sys/fs/cgroup/freezer/berthtest-$ID/freezer.state"
	set_cmd 'true'
	local t0
	t0=$(now_ms)
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"container's cgroup unexpectedly frozen"* ]]
	[ $(($(now_ms) - t0)) -lt 30000 ]
	assert_nothing_left
	[ "$(cat "/sys/fs/cgroup/freezer/berthtest-$ID/freezer.state")" = FROZEN ]
}
