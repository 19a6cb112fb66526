#!/usr/bin/env bats
# linux.intelRdt and `update --l3-cache-schema/--mem-bw-schema` (runtime-spec 1.3,
# issue 16), through the resctrl filesystem. A host without resctrl (no Intel RDT or AMD
# PQoS, or not mounted) gets a clear error naming the field, and nothing is left; a host
# with it runs the container in its group. What is written where is unit-tested in
# libcontainer/intelrdt against a stand-in directory.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# resctrl_root: where resctrl is mounted, or nothing
resctrl_root() {
	awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "resctrl") print $5; break } }' /proc/self/mountinfo | head -1
}

skip_with_resctrl() {
	[ -z "$(resctrl_root)" ] || skip "this host has resctrl at $(resctrl_root): the refusal does not apply"
}

skip_without_resctrl() {
	[ -n "$(resctrl_root)" ] || skip "this host has no resctrl filesystem (no Intel RDT / AMD PQoS, or not mounted)"
}

@test "intelRdt: without resctrl, create fails naming the field and leaves nothing" {
	skip_with_resctrl
	local r
	for r in '{}' '{"closID": "gold", "l3CacheSchema": "L3:0=f"}' '{"memBwSchema": "MB:0=50"}' \
		'{"schemata": ["L3:0=f", "MB:0=20"]}' '{"enableMonitoring": true}'; do
		update_config --argjson r "$r" '.linux.intelRdt = $r'
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$r: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"intelRdt"*"not enabled"* ]]
		is_runc || [[ "$stderr" == *"linux.intelRdt: Intel RDT is not enabled: no resctrl filesystem is mounted"* ]]
		assert_nothing_left
	done
}

@test "intelRdt: bad values are refused before anything is made" {
	# runc 1.5 asks the host first (and, here, says RDT is not enabled); berth checks the
	# config first, naming the field
	local r
	for r in '{"closID": ".."}' '{"closID": "a/b"}' '{"memBwSchema": "L3:0=f"}' '{"schemata": ["L3:0=f\nMB:0=1"]}'; do
		update_config --argjson r "$r" '.linux.intelRdt = $r'
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$r: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"intelRdt"* ]]
		assert_nothing_left
	done
	is_runc && return
	update_config '.linux.intelRdt = {"closID": ".."}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[[ "$stderr" == *'linux.intelRdt.closID: ".." is not a resctrl group name'* ]]
	update_config '.linux.intelRdt = {"memBwSchema": "L3:0=f"}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	[[ "$stderr" == *'linux.intelRdt.memBwSchema: "L3:0=f" does not start with "MB:"'* ]]
}

@test "update --l3-cache-schema/--mem-bw-schema: without resctrl a clear error, the container unchanged" {
	skip_with_resctrl
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	before=$(jq -c .config "$ROOT/$ID/state.json" 2>/dev/null || true)
	run --separate-stderr berth update --l3-cache-schema "L3:0=f" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"l3 cache"*"not enabled"* || "$stderr" == *"L3 cache allocation"*"not enabled"* ]]
	is_runc || [[ "$stderr" == *"--l3-cache-schema"* ]]
	run --separate-stderr berth update --mem-bw-schema "MB:0=20" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not enabled"* ]]
	is_runc || [[ "$stderr" == *"--mem-bw-schema"* ]]
	[ "$(status_of "$ID")" = running ]
	[ "$(jq -c .config "$ROOT/$ID/state.json" 2>/dev/null || true)" = "$before" ]
}

@test "intelRdt: the container runs in its resctrl group, with its schemata and monitoring; update and delete" {
	skip_without_resctrl
	local root
	root=$(resctrl_root)
	# the root group's schemata, as the host has them, are a valid allocation to ask for
	l3=$(grep '^ *L3:' "$root/schemata" | head -1 | tr -d ' ')
	mb=$(grep '^ *MB:' "$root/schemata" | head -1 | tr -d ' ')
	mon=false
	[ -d "$root/info/L3_MON" ] && mon=true
	update_config --arg l3 "$l3" --arg mb "$mb" --argjson mon "$mon" '.linux.intelRdt = ({"enableMonitoring": $mon}
		+ (if $l3 != "" then {"l3CacheSchema": $l3} else {} end)
		+ (if $mb != "" then {"memBwSchema": $mb} else {} end))'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	defer "rmdir $root/$ID 2>/dev/null"
	pid=$(pid_of "$ID")
	# outside: init in the container's own group (named after it), and in its monitoring group
	grep -qx "$pid" "$root/$ID/tasks"
	[ -z "$l3" ] || grep -q "L3:" "$root/$ID/schemata"
	[ -z "$mb" ] || grep -q "MB:" "$root/$ID/schemata"
	[ "$mon" = false ] || grep -qx "$pid" "$root/$ID/mon_groups/$ID/tasks"
	# a process exec'd in joins the group too, as in runc (and its children with it)
	berth exec "$ID" sh -c 'sleep 30 & echo $!' >/dev/null
	[ "$(wc -l <"$root/$ID/tasks")" -ge 2 ]
	if [ -n "$l3" ]; then
		berth update --l3-cache-schema "$l3" "$ID"
		grep -q "L3:" "$root/$ID/schemata"
	fi
	berth delete --force "$ID"
	[ ! -e "$root/$ID" ]
}
