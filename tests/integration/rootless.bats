#!/usr/bin/env bats
# Rootless: berth run by an unprivileged user (the rootless lane, rootless-lane.sh, runs
# this file as one; as root every test skips). The user namespace and its maps (one
# mapping written directly, several through newuidmap/newgidmap against /etc/subuid and
# /etc/subgid), the default --root, --rootless, mounts, /dev, network, rlimits, seccomp,
# capabilities and cgroups without root, and the errors for what cannot work.

load helpers

setup() {
	setup_berth --rootless
	[ -n "$ROOTLESS" ] || skip "runs as an unprivileged user (tests/integration/rootless-lane.sh)"
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# own_mappings: only the user's own uid and gid, mapped to root (what `spec --rootless`
# writes).
own_mappings() {
	update_config --argjson u "$(id -u)" --argjson g "$(id -g)" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]'
}

# need_subids: skip unless the user has subordinate ids and the helpers are installed.
need_subids() {
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
		skip "newuidmap/newgidmap not installed (Debian package uidmap)"
	[ -n "$(subid_range /etc/subuid)" ] && [ -n "$(subid_range /etc/subgid)" ] ||
		skip "no /etc/subuid or /etc/subgid range for $(id -un)"
}

# --- state root and --rootless ---------------------------------------------------------

@test "rootless: without --root, state lives in \$XDG_RUNTIME_DIR/berth" {
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	defer "'$BERTH' delete --force '$ID'"
	set_cmd 'exec sleep 100'
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID")" "$ID" \
		</dev/null >/dev/null 2>"$(cerr "$ID")" 3>&-
	track_pid "$(cat "$(pidfile "$ID")")"
	[ -f "$XDG_RUNTIME_DIR/berth/$ID/state.json" ]
	[ "$("$BERTH" list -q 3>&-)" = "$ID" ]
	[ "$("$BERTH" state "$ID" 3>&- | jq -r .status)" = running ]
	"$BERTH" delete --force "$ID" 3>&-
	[ ! -e "$XDG_RUNTIME_DIR/berth/$ID" ]
}

@test "rootless: without XDG_RUNTIME_DIR or --root, the error says to set one" {
	run --separate-stderr env -u XDG_RUNTIME_DIR "$BERTH" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/run/berth"*"permission denied (without root, set XDG_RUNTIME_DIR or --root to a directory of yours)"* ]]
}

@test "rootless: --rootless takes true, auto (and false, see the cgroup test); another value is an error" {
	set_cmd 'echo ran'
	local v
	for v in true auto 1 TRUE; do
		run --separate-stderr berth --rootless "$v" run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -eq 0 ]
		[ "$output" = ran ]
	done
	run --separate-stderr berth --rootless maybe list
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'--rootless "maybe"'*'true, false or auto'* ]]
}

# --- user namespace and maps -----------------------------------------------------------

@test "rootless: the config of spec --rootless runs as is: its one mapping written directly, without the helpers" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$BERTH" spec --rootless 3>&-)
	hostdir_mount
	jq -e --argjson u "$(id -u)" '.linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]' "$BUNDLE/config.json"
	update_config '.process.terminal = false
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; touch /host/made-by-root"]'
	# no newuidmap/newgidmap on this PATH: the one mapping needs none
	run --separate-stderr env PATH=/nonexistent "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | xargs)" = "0 $(id -u) 1" ]
	[ "$(echo "${lines[1]}" | xargs)" = "0 $(id -g) 1" ]
	# an unprivileged gid map requires setgroups to be denied
	[ "${lines[2]}" = deny ]
	[ "${lines[3]}" = 0 ]
	# the container's root is the user on the host
	[ "$(stat -c %u:%g "$HOSTDIR/made-by-root")" = "$(id -u):$(id -g)" ]
}

@test "rootless: several ranges are written by newuidmap/newgidmap from /etc/subuid and /etc/subgid" {
	need_subids
	local u g
	u=$(subid_range /etc/subuid) g=$(subid_range /etc/subgid)
	# make_bundle mapped container ids 1.. to the user's subordinate range
	update_config '.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; touch /host/f && chown 1000:2000 /host/f"]'
	add_caps CAP_CHOWN
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | xargs)" = "0 $(id -u) 1" ]
	[ "$(echo "${lines[1]}" | xargs)" = "1 ${u% *} ${u#* }" ]
	[ "$(echo "${lines[2]}" | xargs)" = "0 $(id -g) 1" ]
	[ "$(echo "${lines[3]}" | xargs)" = "1 ${g% *} ${g#* }" ]
	[ "${lines[4]}" = allow ]
	# uid 1000 and gid 2000 of the container are subordinate ids on the host
	[ "$(stat -c %u:%g "$HOSTDIR/f")" = "$((${u% *} + 999)):$((${g% *} + 1999))" ]
}

@test "rootless: a mapping of host ids the user does not own is refused, naming them and /etc/subuid; nothing made" {
	need_subids
	local u end
	u=$(subid_range /etc/subuid)
	end=$((${u% *} + ${u#* }))
	update_config --argjson u "$(id -u)" --argjson e "$end" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $e, "size": 10}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.uidMappings[1]: host uids $end-$((end + 9)) are not yours to map: /etc/subuid gives $(id -un) (uid $(id -u)) only ${u% *}-$((end - 1))"* ]]
	assert_nothing_left
	# the host's root, in the gid map
	update_config --argjson g "$(id -g)" '.linux.uidMappings = [{"containerID": 0, "hostID": '"$(id -u)"', "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}, {"containerID": 1, "hostID": 0, "size": 1}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.gidMappings[1]: host gids 0 are not yours to map: /etc/subgid gives"* ]]
	assert_nothing_left
}

@test "rootless: several ranges without newuidmap installed: a clear error naming it" {
	need_subids
	run --separate-stderr env PATH=/nonexistent "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.uidMappings: mapping more than your own uid $(id -u) needs newuidmap (Debian package uidmap)"* ]]
	assert_nothing_left
}

@test "rootless: a config without a user namespace is refused with a clear error; nothing made" {
	update_config 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.namespaces: berth runs without root"*"needs a user namespace"*"spec --rootless"* ]]
	assert_nothing_left
}

@test "rootless: additionalGids with only the user's own gid mapped: a clear error (setgroups is denied)" {
	own_mappings
	update_config '.process.user.additionalGids = [0]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"process.user.additionalGids"*"denies setgroups"* ]]
	assert_nothing_left
}

@test "rootless: exec into a created container says it has to wait for start" {
	set_cmd 'exec sleep 100'
	create_container "$ID"
	run --separate-stderr berth exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"created but not started: without root, exec has to wait for start"* ]]
	berth start "$ID"
	run --separate-stderr berth exec "$ID" echo after-start
	[ "$status" -eq 0 ]
	[ "$output" = after-start ]
}

# --- rlimits ---------------------------------------------------------------------------

@test "rootless: rlimits within the user's own are set; a hard limit above it is refused" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
	set_cmd 'ulimit -Sn; ulimit -Hn'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the user's RLIMIT_NOFILE hard limit is unlimited"
	update_config --argjson h "$((hard + 1))" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": $h}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"process.rlimits RLIMIT_NOFILE: hard limit $((hard + 1)) is above your own ($hard)"* ]]
	assert_nothing_left
}

# --- mounts and /dev -------------------------------------------------------------------

@test "rootless: bind (ro), tmpfs, proc, a sysfs of its own network namespace, devpts, mqueue" {
	mkdir -p "$BUNDLE/rootfs/ro" "$BUNDLE/rootfs/t"
	echo host-data >"$HOSTDIR/data"
	update_config --arg src "$HOSTDIR" '.linux.namespaces += [{"type": "network"}]
		| .mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]} else . end)
		| .mounts += [{"destination": "/ro", "type": "bind", "source": $src, "options": ["rbind", "ro"]},
			{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=0710"]}]'
	set_cmd 'cat /ro/data; touch /ro/x 2>/dev/null && echo ro-writable; stat -c %a /t; echo t > /t/f && cat /t/f
		cat /proc/1/comm; ls /sys/class/net | xargs; ls /dev/pts | xargs
		awk '\''{ print $3 " " $2 }'\'' /proc/mounts | grep -E "^(proc|sysfs|devpts|mqueue|tmpfs) /(proc|sys|dev/pts|dev/mqueue|t)$" | sort | xargs'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = host-data ]
	[ "${lines[1]}" = 710 ]
	[ "${lines[2]}" = t ]
	[ "${lines[3]}" = sh ]
	# a new sysfs: the network devices of the container's own namespace
	[ "${lines[4]}" = lo ]
	[ "${lines[5]}" = ptmx ]
	[ "${lines[6]}" = "devpts /dev/pts mqueue /dev/mqueue proc /proc sysfs /sys tmpfs /t" ]
	[ ! -e "$HOSTDIR/x" ]
}

@test "rootless: sysfs and proc without network and pid namespaces of their own: the host's, read-only /sys" {
	update_config '.linux.namespaces |= map(select(.type != "network" and .type != "pid"))
		| .mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]} else . end)'
	set_cmd "ls /sys/class/net | xargs; [ -d /proc/$$ ] && echo host-pids; touch /sys/x 2>/dev/null || echo sys-ro"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(cd /sys/class/net && echo *)" ]
	[ "${lines[1]}" = host-pids ]
	[ "${lines[2]}" = sys-ro ]
}

@test "rootless: devpts gid=5 that the mappings lack is dropped with a warning" {
	own_mappings
	update_config '.mounts |= map(if .destination == "/dev/pts" then .options += ["gid=5"] else . end)'
	set_cmd 'grep " /dev/pts " /proc/self/mountinfo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"gid=5 dropped: gid 5 is not mapped in linux.gidMappings"* ]]
	[[ "$output" == *devpts* ]]
	[[ "$output" != *gid=* ]]
}

@test "rootless: /dev holds the host's device nodes, bind-mounted (no mknod)" {
	set_cmd 'stat -c "%t:%T %F" /dev/null /dev/zero /dev/urandom; echo x > /dev/null && echo null-ok
		head -c 5 /dev/zero | wc -c; grep -c " /dev/\(null\|zero\|full\|random\|urandom\|tty\) " /proc/self/mountinfo
		mknod /tmp/n c 1 3 2>/dev/null && echo mknod-worked; readlink /dev/fd'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1:3 character special file" ]
	[ "${lines[1]}" = "1:5 character special file" ]
	[ "${lines[2]}" = "1:9 character special file" ]
	[ "${lines[3]}" = null-ok ]
	[ "${lines[4]}" = 5 ]
	[ "${lines[5]}" = 6 ]
	[ "${lines[6]}" = /proc/self/fd ]
}

@test "rootless: linux.devices: a fifo is made; a device is the host's node at that path, which must match" {
	[ -c /dev/kmsg ] || skip "no /dev/kmsg on the host"
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11},
		{"path": "/dev/sub/myfifo", "type": "p", "fileMode": 420}]'
	set_cmd 'stat -c "%F %t:%T" /dev/kmsg; stat -c "%F %a" /dev/sub/myfifo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:b" ]
	[ "${lines[1]}" = "fifo 644" ]
	# another number than the host's node has
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 12}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/dev/kmsg"*"the host's /dev/kmsg is not c 1:12"* ]]
	assert_nothing_left
	# a path the host has no node at
	update_config '.linux.devices = [{"path": "/dev/berth-no-such-dev", "type": "c", "major": 1, "minor": 3}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/dev/berth-no-such-dev"*"no mknod without root"*"no such file or directory"* ]]
	assert_nothing_left
}

# --- network, hostname -----------------------------------------------------------------

@test "rootless: hostname, and a network namespace whose loopback is up" {
	# the client retries until the listener is up, and the reader waits for what it
	# got: fixed sleeps lost that race on a loaded machine
	update_config '.linux.namespaces += [{"type": "network"}] | .hostname = "rl-host"'
	set_cmd 'hostname; cat /sys/class/net/lo/flags; ip -o addr show lo | grep -o "inet 127.0.0.1"
		(nc -l -p 7777 > /dev/shm/got &)
		for i in $(seq 50); do echo over-lo | nc 127.0.0.1 7777 2>/dev/null && break; sleep 0.1; done
		for i in $(seq 50); do [ -s /dev/shm/got ] && break; sleep 0.1; done; cat /dev/shm/got
		readlink /proc/self/ns/net'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rl-host ]
	[ "$(hostname)" != rl-host ]
	# IFF_UP | IFF_LOOPBACK
	[ "${lines[1]}" = 0x9 ]
	[ "${lines[2]}" = "inet 127.0.0.1" ]
	[ "${lines[3]}" = over-lo ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/net)" ]
}

# --- seccomp, capabilities -------------------------------------------------------------

@test "rootless: seccomp: a rule returning EPERM for mkdir" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_cmd 'mkdir /dev/shm/d 2>&1; touch /dev/shm/f && echo touch-ok; grep ^Seccomp: /proc/self/status'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[ "${lines[1]}" = touch-ok ]
	[[ "${lines[2]}" =~ ^Seccomp:[[:space:]]+2$ ]]
}

@test "rootless: capabilities are the configured sets, and count only in the container's namespaces" {
	# the default sets: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
	set_cmd 'grep -E "^Cap(Eff|Bnd):" /proc/self/status; mount -t tmpfs t /tmp 2>/dev/null && echo mounted; true'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^CapEff:[[:space:]]+0000000020000420$ ]]
	[[ "${lines[1]}" =~ ^CapBnd:[[:space:]]+0000000020000420$ ]]
	[ "${#lines[@]}" -eq 2 ]
	# CAP_SYS_ADMIN in the container: a mount in its own mount namespace works...
	add_caps CAP_SYS_ADMIN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH
	[ -r /etc/shadow ] && skip "/etc/shadow is readable by $(id -un)"
	[ -e /etc/shadow ] || skip "no /etc/shadow to try"
	mkdir -p "$BUNDLE/rootfs/hostfile"
	update_config '.mounts += [{"destination": "/hostfile/shadow", "type": "bind", "source": "/etc/shadow", "options": ["bind", "ro"]}]'
	set_cmd 'mount -t tmpfs t /tmp && echo mounted; cat /hostfile/shadow >/dev/null 2>&1 || echo shadow-denied'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = mounted ]
	# ...but CAP_DAC_OVERRIDE does not reach a host file of the real root
	[ "${lines[1]}" = shadow-denied ]
}

# --- cgroups ---------------------------------------------------------------------------

@test "rootless: a cgroup the user cannot write is skipped: no warning without limits, a warning with; --rootless false fails" {
	# the default linux.cgroupsPath, /<id>, is at the top of the host's hierarchies
	set_cmd 'echo ran'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ -z "$stderr" ]
	update_config '.linux.resources = {"memory": {"limit": 104857600}, "pids": {"limit": 100}}'
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	cat "$(cerr "$ID")"
	grep -q "rootless: .*cgroup.*permission denied.*without a cgroup of its own and without its resource limits" "$(cerr "$ID")"
	# it runs in the caller's cgroups
	[ "$(cat "/proc/$(pid_of "$ID")/cgroup")" = "$(cat /proc/self/cgroup)" ]
	berth delete --force "$ID"
	# --rootless false: a cgroup it cannot make is an error
	run --separate-stderr berth --rootless false run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"cgroup"*"permission denied"* ]]
	assert_nothing_left
}

@test "rootless: without a cgroup, ps and kill --all act on the container's pid namespace; pause is refused" {
	set_cmd 'sleep 200 & echo $! > /host/child; exec sleep 100'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/child"
	local init child
	init=$(pid_of "$ID")
	# the child's host pid: the process in init's pid namespace other than init
	berth ps --format json "$ID" | jq -e --argjson i "$init" 'length == 2 and index($i) != null'
	child=$(berth ps --format json "$ID" | jq --argjson i "$init" '.[] | select(. != $i)')
	track_pid "$child"
	[ "$(ns_inode "$child" pid)" = "$(ns_inode "$init" pid)" ]
	# TERM: the child dies of it; pid 1 of a pid namespace ignores it (no handler)
	berth kill --all "$ID" TERM
	wait_pid_gone "$child"
	pid_alive "$init"
	[ "$(berth ps --format json "$ID")" = "[$init]" ]
	# nothing to freeze it with
	run --separate-stderr berth pause "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"no cgroup to freeze"* ]]
	[ "$(status_of "$ID")" = running ]
}

@test "rootless: a cgroup delegated to the user is used: placement, limits, ps, pause/resume, kill --all, removal" {
	skip_without_user_cgroup
	# relative: under the caller's own cgroup, which the lane delegated to the user; the
	# device rules are left out (only root can program the device cgroup)
	update_config --arg p "$ID" '.linux.cgroupsPath = $p
		| .linux.resources = {"devices": [{"allow": false, "access": "rwm"}], "pids": {"limit": 50}}'
	set_cmd 'sleep 200 & exec sleep 100'
	run_detached "$ID"
	cat "$(cerr "$ID")"
	[ ! -s "$(cerr "$ID")" ]
	local init line dirs pids
	init=$(pid_of "$ID")
	# every hierarchy: the caller's cgroup + /<id>
	while IFS= read -r line; do
		[[ "$line" == *"/$ID" ]] || { echo "not placed: $line"; false; }
	done <"/proc/$init/cgroup"
	# the limit is in force: pids.max of its cgroup (v1 pids hierarchy, or v2)
	pids=$(awk -F: '$2 == "pids" || ($1 == 0 && $2 == "") { print $3 }' "/proc/$init/cgroup" | head -1)
	pids=$(find /sys/fs/cgroup -maxdepth 8 -path "*$pids/pids.max" 2>/dev/null | head -1)
	[ -n "$pids" ]
	[ "$(cat "$pids")" = 50 ]
	[ "$(berth ps --format json "$ID" | jq length)" = 2 ]
	berth pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	berth resume "$ID"
	[ "$(status_of "$ID")" = running ]
	berth kill --all "$ID" KILL
	wait_for_status "$ID" stopped
	dirs=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$ID" 2>/dev/null | wc -l)
	[ "$dirs" -gt 0 ]
	berth delete "$ID"
	[ "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$ID" 2>/dev/null | wc -l)" = 0 ]
}

# --- id-mapped mounts (spec13_idmap.bats has the cases as root) -------------------------

@test "rootless: an id-mapped mount is refused without root, naming the mount" {
	mkdir -p "$BUNDLE/rootfs/mnt/a"
	update_config --arg s "$HOSTDIR" '.mounts += [{"destination": "/mnt/a", "type": "bind", "source": $s, "options": ["bind"],
		"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}]}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	if ! is_runc; then
		[[ "$stderr" == *"mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")]: id-mapped mounts are not supported for rootless containers"* ]]
	fi
	assert_nothing_left
}

@test "rootless: root of a user namespace (a rootless engine's) id-maps a tmpfs mounted in it" {
	need_subids
	unshare --help 2>/dev/null | grep -q -- --map-users || skip "unshare without --map-users (util-linux 2.38 or later)"
	[ "$(printf '6.3\n%s\n' "$(uname -r | grep -oE '^[0-9]+\.[0-9]+')" | sort -V | head -1)" = 6.3 ] ||
		skip "kernel $(uname -r) cannot id-map tmpfs (needs 6.3)"
	local u g src=$BATS_TEST_TMPDIR/src
	u=$(subid_range /etc/subuid)
	g=$(subid_range /etc/subgid)
	mkdir -p "$src" "$BUNDLE/rootfs/mnt/a" "$BUNDLE/rootfs/mnt/b"
	# Inside the engine's user namespace (made by unshare: its root is this user, its ids
	# 1.. the subordinate ones), the container's ids 0..999 are the engine's 1000..1999.
	# The tmpfs belongs to the engine's namespace, so its root may id-map it.
	update_config --arg s "$src" '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1000}]
		| .mounts += [{"destination": "/mnt/a", "type": "bind", "source": $s, "options": ["bind", "idmap"]},
			{"destination": "/mnt/b", "type": "bind", "source": $s, "options": ["bind"]}]'
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f0 /mnt/a/f1 /mnt/b/f0; touch /mnt/a/made'
	run --separate-stderr unshare --map-root-user --map-users="${u% *},1,${u#* }" --map-groups="${g% *},1,${g#* }" --mount \
		sh -c '
			set -e
			mount -t tmpfs -o mode=0777 tmpfs "$1"
			touch "$1/f0" "$1/f1"
			chown 1:1 "$1/f1"
			timeout -k 5 "$6" "$2" --root "$3" run --bundle "$4" "$5" </dev/null
			stat -c "host %n %u:%g" "$1/made"
		' sh "$src" "$BERTH" "$ROOT" "$BUNDLE" "$ID" "$BERTH_TIMEOUT" </dev/null 3>&-
	printf 'status=%s\n%s\n--- stderr:\n%s\n' "$status" "$output" "$stderr"
	[ "$status" -eq 0 ]
	# the engine's 0 and 1 are the container's 0 and 1 through the id-mapped bind
	[[ "$output" == *"/mnt/a/f0 0:0"* ]]
	[[ "$output" == *"/mnt/a/f1 1:1"* ]]
	# and unmapped (the overflow id) through the plain one
	[[ "$output" == *"/mnt/b/f0 65534:65534"* ]]
	# the container's root (the engine's 1000) wrote a file the engine sees as its root's
	[[ "$output" == *"host $src/made 0:0"* ]]
}
