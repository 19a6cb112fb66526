#!/usr/bin/env bats
# A container in a user namespace as containerd's CRI makes it for a pod
# with hostUsers: false (tests/clients/cri2_userns.sh runs the pod itself):
# what that showed the runtime must do.

load helpers

setup() {
	setup_berth
	skip_if_rootless "the pod's mappings are host ids only root may map"
	make_bundle
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1310720, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1310720, "size": 65536}]'
}
teardown() { teardown_berth; }

# containerd sets process.oomScoreAdj on every pod sandbox and container.
# Init, not dumpable and root only of its new user namespace, cannot write
# its own /proc/self/oom_score_adj (owned by the host's root): the value is
# applied before the namespace is entered.
@test "userns pod: process.oomScoreAdj in a new user namespace" {
	update_config '.process.oomScoreAdj = 432'
	set_cmd 'cat /proc/self/oom_score_adj; cat /proc/self/uid_map; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")"
	[ "$(sed -n 1p "$(cout "$ID")")" = 432 ]
	[[ "$(sed -n 2p "$(cout "$ID")")" =~ ^[[:space:]]*0[[:space:]]+1310720[[:space:]]+65536$ ]]
	local pid
	pid=$(pid_of "$ID")
	# outside: the value on the host's view of the process, which runs as the mapped uid
	[ "$(cat "/proc/$pid/oom_score_adj")" = 432 ]
	grep -qE "^Uid:[[:space:]]+1310720[[:space:]]+1310720" "/proc/$pid/status"
	[ "$(ns_inode "$pid" user)" != "$(ns_inode $$ user)" ]
	# the runtime's own score is not changed
	[ "$(cat /proc/self/oom_score_adj)" != 432 ]
}

# (containerd's exec process carries the container's oomScoreAdj.)
@test "userns pod: exec with process.oomScoreAdj into the user namespace" {
	update_config '.process.oomScoreAdj = 300'
	set_cmd 'echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	jq '.process | .args = ["sh", "-c", "cat /proc/self/oom_score_adj; id -u; readlink /proc/self/ns/user"]' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	run --separate-stderr berth exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 300 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = "$(readlink "/proc/$(pid_of "$ID")/ns/user")" ]
}

# Lowering a score below the caller's needs CAP_SYS_RESOURCE (this host's
# root may lack it): without it, an error naming the field, nothing left.
@test "userns pod: process.oomScoreAdj -999 is applied, or refused without CAP_SYS_RESOURCE" {
	update_config '.process.oomScoreAdj = -999'
	set_cmd 'cat /proc/self/oom_score_adj'
	run_fg "$ID"
	if (((0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1)); then
		[ "$status" -eq 0 ]
		[ "$output" = -999 ]
	else
		[ "$status" -ne 0 ]
		[[ "${stderr,,}" == *oom*score*adj* ]]
		[[ "${stderr,,}" == *"permission denied"* ]]
		assert_nothing_left "$ID"
	fi
}

@test "userns pod: process.oomScoreAdj out of range is refused, nothing left" {
	update_config '.process.oomScoreAdj = 1001'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "${stderr,,}" == *oom*score*adj* ]]
	assert_nothing_left "$ID"
}
