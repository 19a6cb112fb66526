#!/usr/bin/env bats
# linux.sysctl: set inside the container's namespaces, never on the host.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

ensure_ns() {
	update_config --arg t "$1" '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t}])'
}

@test "sysctl: net.ipv4.ip_forward in the container's network namespace" {
	ensure_ns network
	local host
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	local want=$((1 - host))
	update_config --arg v "$want" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "sysctl: kernel.shmmax and kernel.msgmax in the container's ipc namespace" {
	ensure_ns ipc
	local host_shm host_msg
	host_shm=$(cat /proc/sys/kernel/shmmax)
	host_msg=$(cat /proc/sys/kernel/msgmax)
	update_config '.linux.sysctl = {"kernel.shmmax": "123456789", "kernel.msgmax": "4321"}'
	set_cmd 'cat /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123456789 ]
	[ "${lines[1]}" = 4321 ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_shm" ]
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msg" ]
}

@test "sysctl: applied even when /proc/sys is read-only for the process" {
	ensure_ns network
	update_config '.linux.sysctl = {"net.ipv4.conf.all.forwarding": "1"} | .linux.readonlyPaths = ["/proc/sys"]'
	set_cmd 'cat /proc/sys/net/ipv4/conf/all/forwarding'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "sysctl: a net.* sysctl without a network namespace is refused" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	local host
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	update_config --arg v "$((1 - host))" '.linux.sysctl = {"net.ipv4.ip_forward": $v}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *net.ipv4.ip_forward* ]]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
	assert_nothing_left
}

@test "sysctl: a sysctl that is not namespaced is refused (vm.*)" {
	local host
	host=$(cat /proc/sys/vm/swappiness)
	update_config '.linux.sysctl = {"vm.swappiness": "7"}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *vm.swappiness* ]]
	[ "$(cat /proc/sys/vm/swappiness)" = "$host" ]
	assert_nothing_left
}

@test "sysctl: an unknown sysctl is an error" {
	ensure_ns network
	update_config '.linux.sysctl = {"net.ipv4.no_such_sysctl": "1"}'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no_such_sysctl* ]]
	assert_nothing_left
}
