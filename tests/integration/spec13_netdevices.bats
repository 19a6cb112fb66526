#!/usr/bin/env bats
# linux.netDevices (runtime-spec 1.3, issue 16): host network devices moved into the
# container's network namespace, renamed as asked, with their permanent global addresses,
# up; refused without a network namespace and for bad names.
#
# Never the host's real interfaces: each test makes a private network namespace, runs the
# runtime in it (nsenter --net, through a wrapper that becomes $BERTH, so that it is "the
# host's" namespace to the runtime) and makes veth and macvlan devices there. Only virtual
# devices can be made: when the container's namespace goes, the kernel destroys them (a
# physical device would return to the initial namespace; this host has none to spare).

load helpers

setup() {
	setup_berth
	NS=$ID
	ip netns add "$NS"
	defer "ip netns del $NS"
	REAL_BERTH=$BERTH
	BERTH=$BATS_TEST_TMPDIR/berth-in-ns
	printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s %s "$@"\n' "$NS" "$REAL_BERTH" >"$BERTH"
	chmod 755 "$BERTH"
	make_bundle
	# ve0 (moved) with a permanent global IPv4 and IPv6 address, a dynamic one (finite
	# lifetime: not permanent) and a link-scope one (not global): only the first two go
	# with it. Its peer ve1 stays, so traffic can cross; mv0, a macvlan on ve1, moves as eth7.
	nsip link add ve0 type veth peer name ve1
	nsip addr add 10.8.8.1/24 dev ve0
	nsip addr add 10.8.8.3/24 dev ve0 valid_lft 300 preferred_lft 300
	nsip addr add 10.9.9.4/24 dev ve0 scope link
	nsip -6 addr add 2001:db8::1/64 dev ve0 nodad
	nsip link set ve0 up
	nsip addr add 10.8.8.2/24 dev ve1
	nsip link set ve1 up
	nsip link add mv0 link ve1 type macvlan mode bridge
	nsip addr add 10.6.6.1/24 dev mv0
	VE0_MAC=$(nsip -o link show ve0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
	MV0_MAC=$(nsip -o link show mv0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
}
teardown() { teardown_berth; }

# nsip ARGS...: ip(8) in the test's network namespace
nsip() { ip -n "$NS" "$@"; }

# ns_has DEV: the test's namespace has a device DEV
ns_has() { nsip link show "$1" >/dev/null 2>&1; }

# wait_ns_gone DEV: the kernel destroys a namespace's devices asynchronously
wait_ns_gone() {
	local i
	for i in $(seq 100); do
		ns_has "$1" || return 0
		sleep 0.05
	done
	echo "$1 still in $NS" >&2
	return 1
}

set_devices() { update_config --argjson d "$1" '.linux.netDevices = $d'; }

@test "netDevices: devices move in renamed, keep their MAC and permanent global addresses, and are up" {
	set_devices '{"ve0": {}, "mv0": {"name": "eth7"}}'
	set_cmd 'ip -o addr; ip -o link; echo mac ve0 $(cat /sys/class/net/ve0/address); echo mac eth7 $(cat /sys/class/net/eth7/address); exec sleep 100'
	run_detached "$ID"
	pid=$(pid_of "$ID")
	wait_for_line "$(cout "$ID")" "mac eth7 $MV0_MAC"
	out=$(cat "$(cout "$ID")")
	echo "$out"
	# inside
	grep -q "ve0 *inet 10.8.8.1/24 .*scope global" <<<"$out"
	! grep -q "10.8.8.3" <<<"$out" || false
	! grep -q "10.9.9.4" <<<"$out" || false
	grep -q "eth7 *inet 10.6.6.1/24 .*scope global" <<<"$out"
	grep -q "^[0-9]*: ve0@.*[<,]UP[,>]" <<<"$out"
	grep -q "^[0-9]*: eth7@.*[<,]UP[,>]" <<<"$out"
	grep -qx "mac ve0 $VE0_MAC" <<<"$out"
	grep -qx "mac eth7 $MV0_MAC" <<<"$out"
	! grep -q "mv0" <<<"$out" || false
	# outside: gone from the runtime's namespace, present in the container's
	! ns_has ve0 || false
	! ns_has mv0 || false
	ns_has ve1
	run nsenter --net="/proc/$pid/ns/net" ip -o addr show dev eth7
	[[ "$output" == *"inet 10.6.6.1/24"* ]]
	# real traffic crosses the moved veth: the runtime's namespace pings the container
	run ip netns exec "$NS" busybox ping -c 1 -W 2 10.8.8.1
	echo "$output"
	[ "$status" -eq 0 ]
	# exec sees them too
	run berth exec "$ID" cat /sys/class/net/eth7/address
	[ "$output" = "$MV0_MAC" ]
}

@test "netDevices: the devices go with the container's namespace on delete, delete --force and exit" {
	# config-linux.md: the runtime MUST NOT move them out; the kernel destroys virtual
	# devices with the namespace (a veth takes its peer with it)
	set_devices '{"ve0": {}, "mv0": {"name": "eth7"}}'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	berth kill "$ID" KILL
	wait_for_status "$ID" stopped
	berth delete "$ID"
	wait_ns_gone ve1
	wait_ns_gone mv0

	# delete --force of a running container
	setup_pair
	set_devices '{"ve0": {}}'
	run_detached "$ID-f"
	berth delete --force "$ID-f"
	wait_ns_gone ve1

	# a foreground run whose process exits
	setup_pair
	set_cmd 'ip -o link show ve0'
	run_fg "$ID-r"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ve0@"* ]]
	wait_ns_gone ve1
}

@test "netDevices: into a network namespace joined by path; it outlives the container, and the device with it" {
	# as runc: the devices go into whichever namespace the container has (a CNI-made one,
	# say); that one is its maker's, so delete leaves it, devices and all
	ip netns add "$NS-c"
	defer "ip netns del $NS-c"
	update_config --arg p "/run/netns/$NS-c" '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $p else . end]'
	set_devices '{"ve0": {"name": "eth3"}}'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	! ns_has ve0 || false
	ip -n "$NS-c" -o addr show dev eth3 | grep -q "inet 10.8.8.1/24"
	berth delete --force "$ID"
	ip -n "$NS-c" -o link show eth3 | grep -q "[<,]UP[,>]"
	ns_has ve1
}

# setup_pair: a fresh ve0/ve1 pair in the test's namespace
setup_pair() {
	nsip link add ve0 type veth peer name ve1
	nsip addr add 10.8.8.1/24 dev ve0
	nsip link set ve0 up
}

@test "netDevices: a failed create moves the devices it moved back, as they were" {
	skip_if_runc "a failed create leaves the devices it moved in the dying namespace, which destroys virtual ones"
	before=$(nsip -o addr show dev ve0 | awk '{print $3, $4}' | sort)
	# the second device does not exist: ve0 (sorted first) has moved by then
	set_devices '{"ve0": {"name": "eth0"}, "zz9": {}}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'linux.netDevices[zz9]'* ]]
	[[ "$stderr" == *'no network device "zz9"'* ]]
	assert_nothing_left
	ns_has ve0
	nsip -o link show ve0 | grep -q "[<,]UP[,>]"
	[ "$(nsip -o addr show dev ve0 | awk '{print $3, $4}' | sort)" = "$before" ]

	# a createRuntime hook that fails, after every device has moved
	set_devices '{"ve0": {"name": "eth0"}, "mv0": {}}'
	update_config '.hooks.createRuntime = [{"path": "/bin/false"}]'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	assert_nothing_left
	ns_has ve0
	ns_has mv0
	nsip -o addr show dev mv0 | grep -q "inet 10.6.6.1/24"
	[ "$(nsip -o addr show dev ve0 | awk '{print $3, $4}' | sort)" = "$before" ]
}

@test "netDevices: refused without a network namespace, for bad names and for a missing device" {
	# no network namespace: the devices would stay the host's
	update_config '.linux.namespaces -= [{"type": "network"}]'
	set_devices '{"ve0": {}}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"network devices"*"namespace"* ]]
	is_runc || [[ "$stderr" == *"linux.netDevices"* ]]
	assert_nothing_left
	ns_has ve0
	update_config '.linux.namespaces += [{"type": "network"}]'

	local bad
	for bad in '{"a/b": {}}' '{"ve0": {"name": "x:y"}}' '{"ve0": {"name": "has space"}}' '{"ve0": {"name": ".."}}' '{"": {}}'; do
		set_devices "$bad"
		run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
		echo "$bad: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"invalid network device name"* ]]
		assert_nothing_left
		ns_has ve0
	done

	# a device that is not there
	set_devices '{"nosuch0": {}}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"nosuch0"* ]]
	assert_nothing_left
}

@test "netDevices: a name the container has already fails create, and the device stays where it was" {
	skip_if_runc "the kernel moves the device under its old name before the rename fails, and runc leaves it to die with the namespace"
	set_devices '{"ve0": {"name": "lo"}}'
	run --separate-stderr berth create --bundle "$BUNDLE" "$ID"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"file exists"* ]]
	is_runc || [[ "$stderr" == *'linux.netDevices[ve0]'*'a device of that name exists there'* ]]
	assert_nothing_left
	ns_has ve0
	nsip -o addr show dev ve0 | grep -q "inet 10.8.8.1/24"
}

@test "netDevices: IPv6 addresses go with the device" {
	skip_if_runc "runc 1.5 sets the device down before it reads its addresses, and the kernel drops IPv6 ones on down (keep_addr_on_down=0)"
	set_devices '{"ve0": {"name": "eth1"}}'
	set_cmd 'ip -o -6 addr show dev eth1'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"eth1"*"inet6 2001:db8::1/64 scope global"* ]]
}

@test "netDevices: a name with %d is completed by the kernel" {
	skip_if_runc "runc 1.5 looks the device up by the template itself after the move, and fails"
	set_devices '{"ve0": {"name": "net%d"}}'
	set_cmd 'ip -o addr show dev net0'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"net0"*"inet 10.8.8.1/24"* ]]
}
