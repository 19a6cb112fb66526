#!/usr/bin/env bats
# compat_process_ns: namespaces set up as runc 1.5 does (issue 14): time offsets with a
# new user namespace; joining an existing user namespace by path without mappings, and
# with it a namespace that user namespace does not own.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# add_ns TYPE [PATH]: make sure linux.namespaces has TYPE (joining PATH if given)
add_ns() {
	update_config --arg t "$1" --arg p "${2:-}" \
		'.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] +
			[if $p == "" then {"type": $t} else {"type": $t, "path": $p} end])'
}

# new_userns: a new user namespace, container ids 0.. on host ids 100000..
new_userns() {
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# start_owner: container $ID-a, with a new user namespace, running; PA is its init
start_owner() {
	new_userns
	set_cmd 'exec sleep 1000'
	run_detached "$ID-a"
	PA=$(pid_of "$ID-a")
	[ -n "$PA" ] && [ "$PA" != 0 ]
}

@test "compat: time offsets together with a new user namespace" {
	new_userns
	add_ns time
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
	set_cmd 'id -u; cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime'
	local host_up
	host_up=$(cut -d' ' -f1 /proc/uptime)
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	grep -qE '^monotonic[[:space:]]+86400[[:space:]]+0$' <<<"$output"
	grep -qE '^boottime[[:space:]]+172800[[:space:]]+0$' <<<"$output"
	# /proc/uptime follows CLOCK_BOOTTIME: shifted by two days
	awk -v c="$(tail -1 <<<"$output")" -v h="$host_up" 'BEGIN { d = c - h; exit !(d > 172790 && d < 172900) }'
}

@test "compat: a time namespace with a user namespace, seen from the host" {
	new_userns
	add_ns time
	update_config '.linux.timeOffsets = {"boottime": {"secs": 3600, "nanosecs": 0}}'
	set_cmd 'exec sleep 1000'
	run_detached "$ID"
	local pid
	pid=$(pid_of "$ID")
	# the process is in a time namespace of its own, owned by its user namespace,
	# with the offset; the host's are untouched
	[ "$(ns_inode "$pid" time)" != "$(ns_inode $$ time)" ]
	[ "$(ns_inode "$pid" user)" != "$(ns_inode $$ user)" ]
	grep -qE '^boottime[[:space:]]+3600[[:space:]]+0$' "/proc/$pid/timens_offsets"
	grep -qE '^boottime[[:space:]]+0[[:space:]]+0$' /proc/self/timens_offsets
}

@test "compat: joining a user namespace by path without mappings uses the namespace's" {
	start_owner
	make_bundle "$BATS_TEST_TMPDIR/bundle-b"
	add_ns user "/proc/$PA/ns/user"
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings) | .root.readonly = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user; touch /tmp/made && stat -c "%u %g" /tmp/made; echo done; exec sleep 1000'
	run_detached "$ID-b"
	wait_for_line "$(cout "$ID-b")" done
	cat "$(cout "$ID-b")" "$(cerr "$ID-b")"
	local out pb
	out=$(cat "$(cout "$ID-b")")
	[ "$(sed -n 1p <<<"$out")" = 1000 ]
	[ "$(sed -n 2p <<<"$out")" = 1000 ]
	[[ "$(sed -n 3p <<<"$out")" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[ "$(sed -n 4p <<<"$out")" = "user:[$(ns_inode "$PA" user)]" ]
	[ "$(sed -n 5p <<<"$out")" = "1000 1000" ]
	# from the host: the same user namespace, the process on the mapped ids
	pb=$(pid_of "$ID-b")
	[ "$(ns_inode "$pb" user)" = "$(ns_inode "$PA" user)" ]
	grep -qE "^Uid:[[:space:]]+101000[[:space:]]" "/proc/$pb/status"
	# and exec into it works, as the process's user or the namespace's root
	run berth exec "$ID-b" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	run berth exec -u 0 "$ID-b" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "compat: a namespace the joined user namespace does not own is joined before it" {
	start_owner
	# a network namespace of the host's (what `ip netns add` makes), owned by the
	# host's user namespace, not the container's
	local nsf=$BATS_TEST_TMPDIR/netns
	touch "$nsf"
	unshare --net="$nsf" true
	defer umount "$nsf"
	nsenter --net="$nsf" ip addr add 10.213.7.10/32 dev lo
	make_bundle "$BATS_TEST_TMPDIR/bundle-b"
	add_ns user "/proc/$PA/ns/user"
	add_ns network "$nsf"
	# and one the container's user namespace owns
	add_ns uts "/proc/$PA/ns/uts"
	# (no /sys: the kernel lets only the user namespace owning the network namespace
	# mount a sysfs)
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings) | del(.hostname)
		| .mounts |= map(select(.destination | startswith("/sys") | not))'
	set_cmd 'for n in net uts user; do readlink /proc/self/ns/$n; done; ip -o -4 addr show dev lo'
	run_fg "$ID-b"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "net:[$(stat -L -c %i "$nsf")]" ]
	[ "${lines[1]}" = "uts:[$(ns_inode "$PA" uts)]" ]
	[ "${lines[2]}" = "user:[$(ns_inode "$PA" user)]" ]
	[[ "$output" == *10.213.7.10/32* ]]
}
