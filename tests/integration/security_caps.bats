#!/usr/bin/env bats
# process.capabilities: the five sets, exactly, as /proc/self/status shows them inside;
# that they are real (a missing capability is missing, an ambient one survives execve
# for a non-root user); unknown names ignored with a warning (runtime-spec 1.3).
#
# execve(2) recomputes the sets (capabilities(7)): for root, permitted = effective =
# bounding | inheritable | ambient; for another user running a file without file
# capabilities, permitted = effective = ambient. The configs below are chosen so that
# what execve leaves is what was configured: any difference is the runtime's.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

# Capability numbers (linux/capability.h).
CHOWN=0 DAC_OVERRIDE=1 KILL=5 SETPCAP=8 NET_BIND_SERVICE=10 NET_RAW=13

# expect_status OUTPUT BND EFF PRM INH AMB NNP: the Cap* and NoNewPrivs lines of
# /proc/self/status, exactly.
expect_status() {
	local want
	want=$(printf 'CapInh:\t%s\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t%s\nNoNewPrivs:\t%s' \
		"$5" "$4" "$3" "$2" "$6" "$7")
	echo "--- want:"
	echo "$want"
	[ "$1" = "$want" ]
}

STATUS_CMD='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status'

@test "capabilities: root sees exactly the configured five sets (and NoNewPrivs 0)" {
	update_config '.process.noNewPrivileges = false | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_KILL"]}'
	set_cmd "$STATUS_CMD"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	local all
	all=$(capmask $CHOWN $DAC_OVERRIDE $KILL $SETPCAP $NET_BIND_SERVICE)
	expect_status "$output" "$all" "$all" "$all" "$(capmask $KILL $NET_BIND_SERVICE)" "$(capmask $KILL)" 0
}

@test "capabilities: a non-root user sees exactly the configured five sets (and NoNewPrivs 1)" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true
		| .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	set_cmd "$STATUS_CMD"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	local two
	two=$(capmask $KILL $NET_BIND_SERVICE)
	expect_status "$output" "$(capmask $CHOWN $KILL $NET_BIND_SERVICE $NET_RAW)" "$two" "$two" "$two" "$two" 1
}

@test "capabilities: exec --process sees exactly its own five sets, not init's" {
	update_config '.process.args = ["sleep", "100"]'
	run_detached "$ID"
	jq -n '{"args": ["sh", "-c", $c], "cwd": "/", "env": ["PATH=/bin:/sbin:/usr/bin"],
		"user": {"uid": 1000, "gid": 1000}, "noNewPrivileges": true,
		"capabilities": {"bounding": ["CAP_CHOWN", "CAP_NET_RAW"], "effective": ["CAP_NET_RAW"],
			"permitted": ["CAP_NET_RAW"], "inheritable": ["CAP_NET_RAW"], "ambient": ["CAP_NET_RAW"]}}' \
		--arg c "$STATUS_CMD" >"$BATS_TEST_TMPDIR/process.json"
	run --separate-stderr berth exec --process "$BATS_TEST_TMPDIR/process.json" "$ID" </dev/null
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	local raw
	raw=$(capmask $NET_RAW)
	expect_status "$output" "$(capmask $CHOWN $NET_RAW)" "$raw" "$raw" "$raw" "$raw" 1
	# init is as it was (the default set of `spec`, no NoNewPrivs change)
	local pid
	pid=$(pid_of "$ID")
	[ "$(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status")" = "$(capmask 5 10 29)" ] # KILL NET_BIND_SERVICE AUDIT_WRITE
}

@test "capabilities: a capability left out is really missing, an ambient one really survives execve" {
	# the default set has no CAP_CHOWN
	set_cmd 'touch /tmp/f; chown 1 /tmp/f 2>&1; echo "rc=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "${lines[-1]}" = rc=1 ]
	# a non-root user with CAP_CHOWN in its ambient set: chown(1) gets it across execve
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
		"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"],
		"inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN"]}'
	set_cmd 'touch /tmp/g; chown 2 /tmp/g 2>&1; echo "rc=$?"; stat -c %u /tmp/g'
	run_fg "$ID-2"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = rc=0 ]
	[ "${lines[-1]}" = 2 ]
	# without the ambient set, execve drops it: the same chown fails
	update_config 'del(.process.capabilities.ambient)'
	set_cmd 'touch /tmp/h; chown 2 /tmp/h 2>&1; echo "rc=$?"'
	run_fg "$ID-3"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = rc=1 ]
}

@test "capabilities: an unknown name in any set is a warning naming the set and the name" {
	skip_if_runc "its warning does not name the set"
	local set
	for set in bounding effective permitted inheritable ambient; do
		make_bundle "$BATS_TEST_TMPDIR/b-$set"
		update_config --arg s "$set" '.process.capabilities[$s] = ((.process.capabilities[$s] // []) + ["CAP_NOT_A_CAP"])
			| .process.args = ["true"]'
		run_fg "$ID-$set"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *warn*"process.capabilities.$set"*CAP_NOT_A_CAP* ]]
	done
}
