#!/usr/bin/env bats
# linux.namespaces: new ones (pid, uts, ipc, network, mount, cgroup, time, user) and
# joining existing ones by path.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# ns_of_container ID NS: the namespace inode of the container's init, seen from the host
ns_of_container() {
	ns_inode "$(pid_of "$1")" "$2"
}

# add_ns TYPE [PATH]: make sure linux.namespaces has TYPE (joining PATH if given)
add_ns() {
	update_config --arg t "$1" --arg p "${2:-}" \
		'.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] +
			[if $p == "" then {"type": $t} else {"type": $t, "path": $p} end])'
}

del_ns() {
	update_config --arg t "$1" '.linux.namespaces |= map(select(.type != $t))'
}

@test "namespaces: new pid namespace, the process is pid 1 and sees only its own" {
	add_ns pid
	set_cmd 'echo $$; ps -o pid,comm | tail -n +2 | wc -l; readlink /proc/self/ns/pid'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# sh and ps (and wc/tail, which may or may not have exited)
	[ "${lines[1]}" -le 4 ]
	[ "${lines[2]}" != "$(readlink /proc/$$/ns/pid)" ]
}

@test "namespaces: pid namespace seen from outside (NSpid, ns inode differs)" {
	add_ns pid
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(ns_inode "$pid" pid)" != "$(ns_inode $$ pid)" ]
	grep -qE "^NSpid:[[:space:]]+${pid}[[:space:]]+1$" "/proc/$pid/status"
}

@test "namespaces: no pid namespace in the config shares the host's" {
	del_ns pid
	set_cmd 'echo $$; readlink /proc/self/ns/pid'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != 1 ]
	[ "${lines[1]}" = "$(readlink /proc/$$/ns/pid)" ]
}

@test "namespaces: uts, hostname set inside, host's unchanged" {
	add_ns uts
	update_config '.hostname = "berth-host-1"'
	local before
	before=$(hostname)
	set_cmd 'hostname; cat /proc/sys/kernel/hostname; readlink /proc/self/ns/uts'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = berth-host-1 ]
	[ "${lines[1]}" = berth-host-1 ]
	[ "${lines[2]}" != "$(readlink /proc/$$/ns/uts)" ]
	[ "$(hostname)" = "$before" ]
}

@test "namespaces: uts, domainname set inside" {
	# runtime-spec 1.1+ config.md#domainname
	skip_if_runc "1.1.5 ignores the domainname field (added to the spec after it)"
	add_ns uts
	update_config '.hostname = "h1" | .domainname = "berth.example"'
	local before
	before=$(cat /proc/sys/kernel/domainname)
	set_cmd 'cat /proc/sys/kernel/domainname'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = berth.example ]
	[ "$(cat /proc/sys/kernel/domainname)" = "$before" ]
}

@test "namespaces: ipc, a private System V IPC space" {
	add_ns ipc
	set_cmd 'readlink /proc/self/ns/ipc; cat /proc/sysvipc/shm | wc -l; cat /proc/sys/kernel/shmmni'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/$$/ns/ipc)" ]
	# only the header line: no segments from the host
	[ "${lines[1]}" = 1 ]
}

@test "namespaces: network, only the loopback interface" {
	add_ns network
	set_cmd 'ls /sys/class/net; echo --; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" = -- ]
	[ "${lines[2]}" = lo ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[3]}" != "$(readlink /proc/$$/ns/net)" ]
}

@test "namespaces: no network namespace in the config shares the host's" {
	del_ns network
	set_cmd 'readlink /proc/self/ns/net'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/$$/ns/net)" ]
}

@test "namespaces: mount, the container's mounts are invisible outside" {
	add_ns mount
	local tag="inner-$ID"
	update_config --arg t "$tag" '.mounts += [{"destination": "/inner", "type": "tmpfs", "source": $t}]'
	set_cmd 'grep -c " /inner " /proc/self/mountinfo; echo ready > /host/ready; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	[ "$(cat "$(cout "$ID")")" = 1 ]
	[ "$(ns_of_container "$ID" mnt)" != "$(ns_inode $$ mnt)" ]
	! grep -q -- "$tag" /proc/self/mountinfo || false
	# but it is there in the container's mount namespace
	grep -q -- "$tag" "/proc/$(pid_of "$ID")/mountinfo"
}

@test "namespaces: cgroup, the container's cgroup is its root" {
	add_ns cgroup
	set_cmd 'cat /proc/self/cgroup; readlink /proc/self/ns/cgroup'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" != "$(readlink /proc/$$/ns/cgroup)" ]
	# every hierarchy's path is / inside the namespace
	local l
	for l in "${lines[@]:0:${#lines[@]}-1}"; do
		[[ "$l" =~ ^[0-9]+:[^:]*:/$ ]] || {
			echo "not at its cgroup ns root: $l" >&2
			false
		}
	done
}

@test "namespaces: time, with timeOffsets for monotonic and boottime" {
	# runtime-spec 1.2+ config-linux.md#offset-for-time-namespace
	skip_if_runc "1.1.5 has no time namespace support (\"namespace time does not exist\")"
	add_ns time
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
	set_cmd 'cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime'
	local host_up
	host_up=$(cut -d' ' -f1 /proc/uptime)
	run_fg "$ID"
	[ "$status" -eq 0 ]
	grep -qE '^monotonic[[:space:]]+86400[[:space:]]+0$' <<<"$output"
	grep -qE '^boottime[[:space:]]+172800[[:space:]]+0$' <<<"$output"
	# /proc/uptime follows CLOCK_BOOTTIME: shifted by two days
	local up
	up=$(tail -1 <<<"$output")
	awk -v c="$up" -v h="$host_up" 'BEGIN { d = c - h; exit !(d > 172790 && d < 172900) }'
}

@test "namespaces: user, with uid and gid mappings" {
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c "%u %g" /bin/busybox; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	local out pid
	out=$(cat "$(cout "$ID")")
	echo "$out"
	[[ "$(sed -n 1p <<<"$out")" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[[ "$(sed -n 2p <<<"$out")" =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536$ ]]
	[ "$(sed -n 3p <<<"$out")" = 0 ]
	[ "$(sed -n 4p <<<"$out")" = 0 ]
	# host root is not mapped: it shows as the overflow id
	[ "$(sed -n 5p <<<"$out")" = "65534 65534" ]
	# outside: the process runs as the mapped host ids, in another user namespace
	pid=$(pid_of "$ID")
	grep -qE "^Uid:[[:space:]]+100000[[:space:]]+100000" "/proc/$pid/status"
	grep -qE "^Gid:[[:space:]]+200000[[:space:]]+200000" "/proc/$pid/status"
	[ "$(ns_inode "$pid" user)" != "$(ns_inode $$ user)" ]
	[[ "$(cat "/proc/$pid/uid_map")" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
}

@test "namespaces: user, a mapped non-root user inside" {
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'id -u; id -g; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	[ "$(cat "$(cout "$ID")")" = "1000
1000
done" ]
	grep -qE "^Uid:[[:space:]]+101000[[:space:]]" "/proc/$(pid_of "$ID")/status"
}

@test "namespaces: join a network namespace by path" {
	local nsf=$BATS_TEST_TMPDIR/netns
	touch "$nsf"
	# a persistent netns bound on a file of ours (what `ip netns add` does under /run/netns)
	unshare --net="$nsf" true
	defer umount "$nsf"
	nsenter --net="$nsf" ip addr add 10.213.7.9/32 dev lo
	nsenter --net="$nsf" ip link set lo up
	add_ns network "$nsf"
	set_cmd 'readlink /proc/self/ns/net; ip -o -4 addr show dev lo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "net:[$(stat -L -c %i "$nsf")]" ]
	[[ "$output" == *10.213.7.9/32* ]]
	# the namespace is not ours and survives the container
	[ "${lines[0]}" != "$(readlink /proc/$$/ns/net)" ]
	nsenter --net="$nsf" ip -o -4 addr show dev lo | grep -q 10.213.7.9
}

@test "namespaces: join another container's uts namespace by path" {
	add_ns uts
	update_config '.hostname = "first-container"'
	set_cmd 'exec sleep 100'
	run_detached "$ID-a"
	local pa
	pa=$(pid_of "$ID-a")

	make_bundle "$BATS_TEST_TMPDIR/bundle-b"
	add_ns uts "/proc/$pa/ns/uts"
	update_config 'del(.hostname)'
	set_cmd 'hostname; readlink /proc/self/ns/uts'
	run_fg "$ID-b"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = first-container ]
	[ "${lines[1]}" = "uts:[$(ns_inode "$pa" uts)]" ]
}

@test "namespaces: join another container's pid namespace by path" {
	add_ns pid
	set_cmd 'exec sleep 100'
	run_detached "$ID-a"
	local pa
	pa=$(pid_of "$ID-a")

	make_bundle "$BATS_TEST_TMPDIR/bundle-b"
	add_ns pid "/proc/$pa/ns/pid"
	set_cmd 'echo $$; ps -o pid,args | grep -c "sleep 100"; readlink /proc/self/ns/pid'
	run_fg "$ID-b"
	[ "$status" -eq 0 ]
	# not the init of that namespace, and it sees the other container's process
	[ "${lines[0]}" != 1 ]
	[ "${lines[1]}" -ge 1 ]
	[ "${lines[2]}" = "pid:[$(ns_inode "$pa" pid)]" ]
	# the first container is unaffected
	[ "$(status_of "$ID-a")" = running ]
}

@test "namespaces: joining a path that is not a namespace is an error" {
	add_ns network "$BATS_TEST_TMPDIR/hostdir"
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	assert_nothing_left
}

@test "namespaces: an unknown namespace type is an error" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *bogus* ]]
	assert_nothing_left
}
