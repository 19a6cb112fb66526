#!/usr/bin/env bats
# linux.memoryPolicy (runtime-spec 1.3, issue 16): set_mempolicy(2) for the container's
# process, every mode and flag, seen inside (/proc/self/numa_maps), from the host
# (/proc/PID/numa_maps) and in exec; and the refusals, as runc 1.5 validates them.
#
# The kernel shows a process's policy on every mapping without one of its own in
# numa_maps (mm/mempolicy.c mpol_to_str): "bind:0", "bind=static:0",
# "prefer (many)=balancing:0", "local", "default". A host with one NUMA node (this one)
# can take every mode and flag with node 0; policies naming other nodes are tested
# where the host has them, and say so where it does not.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# POLICY_SCRIPT prints the policy of the first mapping of the process: the word(s) after
# the address, with the "=flags" and ":nodes" the kernel appends.
POLICY_RE='s/^[0-9a-f]+ ((weighted interleave|prefer \(many\)|[a-z]+)(=[a-z|]+)?(:[0-9,-]+)?).*/\1/p'
POLICY_SCRIPT="sed -nE '1$POLICY_RE' /proc/self/numa_maps"

# host_policy PID: the same, read from the host
host_policy() {
	sed -nE "1$POLICY_RE" "/proc/$1/numa_maps"
}

# set_policy MODE NODES FLAGS_JSON
set_policy() {
	update_config --arg m "$1" --arg n "$2" --argjson f "$3" \
		'.linux.memoryPolicy = {"mode": $m, "nodes": $n, "flags": $f}'
}

# node_online N: the host has NUMA node N online
node_online() {
	[ -d "/sys/devices/system/node/node$1" ]
}

@test "memoryPolicy: every mode, with every flag it takes, is the process's policy inside" {
	[ -r /proc/self/numa_maps ] || skip "the kernel has no CONFIG_NUMA (no numa_maps)"
	set_cmd "$POLICY_SCRIPT"
	# mode | nodes | flags | what numa_maps shows
	local cases=(
		'MPOL_DEFAULT||[]|default'
		'MPOL_DEFAULT||["MPOL_F_STATIC_NODES"]|default'
		'MPOL_BIND|0|[]|bind:0'
		'MPOL_BIND|0|["MPOL_F_STATIC_NODES"]|bind=static:0'
		'MPOL_BIND|0|["MPOL_F_RELATIVE_NODES"]|bind=relative:0'
		'MPOL_BIND|0|["MPOL_F_NUMA_BALANCING"]|bind=balancing:0'
		'MPOL_INTERLEAVE|0|[]|interleave:0'
		'MPOL_INTERLEAVE|0|["MPOL_F_STATIC_NODES"]|interleave=static:0'
		'MPOL_WEIGHTED_INTERLEAVE|0|[]|weighted interleave:0'
		'MPOL_WEIGHTED_INTERLEAVE|0|["MPOL_F_RELATIVE_NODES"]|weighted interleave=relative:0'
		'MPOL_PREFERRED|0|[]|prefer:0'
		'MPOL_PREFERRED|0|["MPOL_F_STATIC_NODES"]|prefer=static:0'
		'MPOL_PREFERRED||[]|local'
		'MPOL_PREFERRED_MANY|0|[]|prefer (many):0'
		'MPOL_PREFERRED_MANY|0|["MPOL_F_NUMA_BALANCING"]|prefer (many)=balancing:0'
		'MPOL_LOCAL||[]|local'
	)
	local c mode nodes flags want n=0
	for c in "${cases[@]}"; do
		IFS='|' read -r mode nodes flags want <<<"$c"
		set_policy "$mode" "$nodes" "$flags"
		n=$((n + 1))
		run_fg "$ID-$n"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ] || {
			echo "$mode nodes '$nodes' flags $flags: numa_maps shows '$output', want '$want'"
			false
		}
	done
}

@test "memoryPolicy: the host sees it on the container's process, and exec gets it too" {
	[ -r /proc/self/numa_maps ] || skip "the kernel has no CONFIG_NUMA (no numa_maps)"
	set_policy MPOL_BIND 0 '["MPOL_F_STATIC_NODES"]'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	pid=$(pid_of "$ID")
	# after execve the process is one thread: the one init set the policy on
	run host_policy "$pid"
	[ "$output" = "bind=static:0" ]
	run berth exec "$ID" sh -c "$POLICY_SCRIPT"
	[ "$status" -eq 0 ]
	[ "$output" = "bind=static:0" ]
	# the host's own processes keep theirs
	run host_policy $$
	[ "$output" = "default" ]
}

@test "memoryPolicy: MPOL_F_RELATIVE_NODES maps nodes the host lacks onto those it has" {
	[ -r /proc/self/numa_maps ] || skip "the kernel has no CONFIG_NUMA (no numa_maps)"
	node_online 1 && skip "this host has NUMA node 1: nothing to fold"
	# node 1 relative to the allowed set {0}: the kernel folds it onto node 0
	# (mpol_relative_nodemask), where MPOL_BIND alone refuses it (below)
	set_policy MPOL_BIND 1 '["MPOL_F_RELATIVE_NODES"]'
	set_cmd "$POLICY_SCRIPT"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "bind=relative:0" ]
}

@test "memoryPolicy: nodes the host has not got fail create naming the field, leaving nothing" {
	node_online 1 && skip "this host has NUMA node 1: the policy would be valid"
	for mode in MPOL_BIND MPOL_PREFERRED MPOL_INTERLEAVE; do
		set_policy "$mode" 1 '[]'
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$mode: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"set_mempolicy"* ]]
		[[ "$stderr" == *"invalid argument"* ]]
		is_runc || [[ "$stderr" == *"linux.memoryPolicy"* ]]
		assert_nothing_left
	done
}

@test "memoryPolicy: bad modes, nodes and flags are refused before anything is made" {
	# mode | nodes | flags | the words of the error (runc 1.5's substance; berth also
	# names the field, checked below)
	local cases=(
		'MPOL_NOPE|0|[]|memory policy mode|linux.memoryPolicy.mode'
		'|0|[]|memory policy mode|linux.memoryPolicy.mode'
		'MPOL_BIND|0|["MPOL_F_NOPE"]|memory policy flag|linux.memoryPolicy.flags[0]'
		'MPOL_BIND|zero|[]|memory policy nodes|linux.memoryPolicy.nodes'
		'MPOL_BIND|3-1|[]|memory policy nodes|linux.memoryPolicy.nodes'
		'MPOL_BIND|1024|[]|memory policy nodes|linux.memoryPolicy.nodes'
		'MPOL_BIND||[]|memory policy mode|linux.memoryPolicy.nodes'
		'MPOL_INTERLEAVE||[]|memory policy mode|linux.memoryPolicy.nodes'
		'MPOL_WEIGHTED_INTERLEAVE||[]|memory policy mode|linux.memoryPolicy.nodes'
		'MPOL_PREFERRED_MANY||[]|memory policy mode|linux.memoryPolicy.nodes'
		'MPOL_LOCAL|0|[]|memory policy mode|linux.memoryPolicy.nodes'
		'MPOL_DEFAULT|0|[]|memory policy mode|linux.memoryPolicy.nodes'
	)
	local c mode nodes flags words field
	for c in "${cases[@]}"; do
		IFS='|' read -r mode nodes flags words field <<<"$c"
		set_policy "$mode" "$nodes" "$flags"
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$mode nodes '$nodes' flags $flags: status $status: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"$words"* ]]
		is_runc || [[ "$stderr" == *"$field"* ]]
		assert_nothing_left
	done
}

@test "memoryPolicy: flag combinations set_mempolicy refuses fail create, berth's before init starts" {
	# runc 1.5 passes these to the kernel, whose EINVAL fails its init
	# ("set_mempolicy: invalid argument"); berth refuses them in the config, naming it
	local cases=(
		'MPOL_BIND|0|["MPOL_F_STATIC_NODES","MPOL_F_RELATIVE_NODES"]'
		'MPOL_INTERLEAVE|0|["MPOL_F_NUMA_BALANCING"]'
		'MPOL_PREFERRED|0|["MPOL_F_NUMA_BALANCING"]'
		'MPOL_PREFERRED||["MPOL_F_STATIC_NODES"]'
		'MPOL_LOCAL||["MPOL_F_RELATIVE_NODES"]'
	)
	local c mode nodes flags
	for c in "${cases[@]}"; do
		IFS='|' read -r mode nodes flags <<<"$c"
		set_policy "$mode" "$nodes" "$flags"
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$mode nodes '$nodes' flags $flags: status $status: $stderr"
		[ "$status" -ne 0 ]
		if is_runc; then
			[[ "$stderr" == *"set_mempolicy: invalid argument"* ]]
		else
			[[ "$stderr" == *"linux.memoryPolicy.flags"* ]]
		fi
		assert_nothing_left
	done
}
