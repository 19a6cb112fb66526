#!/usr/bin/env bats
# `features` against what create does (runtime-spec features.md, issue 16): every option,
# name and value it lists is accepted by create (the container is made, or, where the
# host lacks what it needs, refused for that reason and not as unknown); every one that
# the spec defines and it does not list is refused. Clients trust this JSON: containerd
# enables user namespaces on mountExtensions.idmap, Docker refuses rro unless listed.

load helpers

setup() {
	setup_berth
	make_bundle
	FEATURES=$BATS_TEST_TMPDIR/features.json
	berth features >"$FEATURES"
	set_cmd 'true'
}
teardown() { teardown_berth; }

# feat JQ: a value of the features JSON
feat() { jq -r "$@" "$FEATURES"; }

# accepted WHAT: create and delete the bundle's container (stdio to files: a created
# container would hold a pipe); on failure, say what was tried. WARNINGS: its stderr.
accepted() {
	if ! create_container "$ID" 2>/dev/null; then
		echo "refused: $* -> $(cat "$(cerr "$ID")")"
		return 1
	fi
	WARNINGS=$(cat "$(cerr "$ID")")
	berth delete --force "$ID"
}

# refused WORDS: create fails, with WORDS in the error, and leaves nothing
refused() {
	local rc=0
	berth create --bundle "$BUNDLE" "$ID" </dev/null >"$(cout "$ID")" 2>"$(cerr "$ID")" || rc=$?
	echo "$*: status $rc: $(cat "$(cerr "$ID")")"
	if [ "$rc" -eq 0 ]; then
		track_pid "$(pid_of "$ID")"
		return 1
	fi
	grep -qF -- "$1" "$(cerr "$ID")" || return 1
	assert_nothing_left
}

# The runtime-spec 1.3 lists (config.md "Linux mount options", config-linux.md
# "Namespaces", "Memory policy", config.md "POSIX-platform Hooks").
SPEC_MOUNT_OPTIONS="async atime bind defaults dev diratime dirsync exec idmap iversion lazytime loud mand
noatime nodev nodiratime noexec noiversion nolazytime nomand norelatime nostrictatime nosuid nosymfollow
private ratime rbind rdev rdiratime relatime remount rexec ridmap rnoatime rnodiratime rnoexec rnorelatime
rnostrictatime rnosuid rnosymfollow ro rprivate rro rrw rshared rslave rstrictatime rsuid rsymfollow
runbindable rw shared silent slave strictatime suid symfollow sync tmpcopyup unbindable"
SPEC_NAMESPACES="cgroup ipc mount network pid time user uts"
SPEC_MPOL_MODES="MPOL_BIND MPOL_DEFAULT MPOL_INTERLEAVE MPOL_LOCAL MPOL_PREFERRED MPOL_PREFERRED_MANY MPOL_WEIGHTED_INTERLEAVE"
SPEC_MPOL_FLAGS="MPOL_F_NUMA_BALANCING MPOL_F_RELATIVE_NODES MPOL_F_STATIC_NODES"
SPEC_HOOKS="prestart createRuntime createContainer startContainer poststart poststop"

# listed LIST WORD: WORD is one of the lines of LIST
listed() { grep -qxF -- "$2" <<<"$1"; }

# user_ns: a user namespace with container root as host root's range 100000..
user_ns() {
	update_config '.linux.namespaces = (.linux.namespaces - [{"type": "user"}]) + [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "features: the spec version berth speaks, and the runtime-spec 1.3 blocks" {
	spec=$("$BERTH" --version | sed -n 's/^spec: //p')
	[ "$(feat .ociVersionMax)" = "$spec" ]
	[ "$(feat .ociVersionMin)" = 1.0.0 ]
	[ "$(feat .linux.cgroup.rdma)" = true ]
	[ "$(feat .linux.apparmor.enabled)" = true ]
	[ "$(feat .linux.selinux.enabled)" = true ]
	[ "$(feat .linux.intelRdt.enabled)" = true ]
	[ "$(feat .linux.intelRdt.schemata)" = true ]
	[ "$(feat .linux.intelRdt.monitoring)" = true ]
	[ "$(feat .linux.netDevices.enabled)" = true ]
	[ "$(feat '.linux.mountExtensions.idmap.enabled | type')" = boolean ]
	[ "$(feat '.potentiallyUnsafeConfigAnnotations | type')" = array ]
	local x modes flags nss hooks
	modes=$(feat '.linux.memoryPolicy.modes[]')
	flags=$(feat '.linux.memoryPolicy.flags[]')
	nss=$(feat '.linux.namespaces[]')
	hooks=$(feat '.hooks[]')
	for x in $SPEC_MPOL_MODES; do listed "$modes" "$x"; done
	for x in $SPEC_MPOL_FLAGS; do listed "$flags" "$x"; done
	for x in $SPEC_NAMESPACES; do listed "$nss" "$x"; done
	for x in $SPEC_HOOKS; do listed "$hooks" "$x"; done
	[ "$(feat '.hooks | length')" -eq 6 ]
}

@test "features: every mount option listed is accepted by create" {
	skip_if_runc "runc 1.5.3 lists remount, and a bind mount with it fails (EINVAL)"
	local opts o ms
	opts=$(feat '.mountOptions[]')
	# one container, a mount per option (an error names the mount, so the option)
	for o in $opts; do
		case $o in
		tmpcopyup) ms+=$(jq -nc '{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}') ;;
		idmap | ridmap) ;; # id-mapped: with mappings, in the test below
		*) ms+=$(jq -nc --arg s "$HOSTDIR" --arg o "$o" '{"destination": ("/mnt/" + $o), "type": "bind", "source": $s,
			"options": (["bind"] + [$o] | unique)}') ;;
		esac
	done
	update_config --argjson m "$(jq -sc . <<<"$ms")" '.mounts += $m'
	set_cmd 'grep -c " /mnt/" /proc/self/mountinfo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" -eq "$(grep -cvx 'tmpcopyup\|idmap\|ridmap' <<<"$opts")" ]
}

@test "features: the spec's mount options it does not list are refused" {
	local opts o
	opts=$(feat '.mountOptions[]')
	for o in $SPEC_MOUNT_OPTIONS; do
		listed "$opts" "$o" && continue
		# id-mapping is mountExtensions.idmap's (the next test)
		[ "$o" = idmap ] || [ "$o" = ridmap ] && continue
		update_config --arg s "$HOSTDIR" --arg o "$o" '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind", $o]}]'
		refused "$o"
		update_config '.mounts |= .[:-1]'
	done
	# and a word no spec defines
	update_config --arg s "$HOSTDIR" '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind", "bogusopt"]}]'
	refused "bogusopt"
}

@test "features: mountExtensions.idmap says whether id-mapped bind mounts are made" {
	user_ns
	# made here: container root (host 100000) cannot make it in the rootfs
	mkdir -p "$BUNDLE/rootfs/mnt"
	local o
	for o in "" idmap ridmap; do
		update_config --arg s "$HOSTDIR" --arg o "$o" '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s,
			"options": (["bind"] + if $o != "" then [$o] else [] end),
			"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
			"gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}]'
		if [ "$(feat .linux.mountExtensions.idmap.enabled)" = true ]; then
			accepted "an id-mapped bind mount, options bind $o"
		else
			refused "id-mapped mounts"
		fi
		update_config '.mounts |= .[:-1]'
	done
}

@test "features: every namespace listed is made by create" {
	local ns
	for ns in $(feat '.linux.namespaces[]'); do
		if [ "$ns" = user ]; then
			user_ns
		else
			update_config --arg t "$ns" '.linux.namespaces = (.linux.namespaces - [{"type": $t}]) + [{"type": $t}]'
		fi
	done
	create_container "$ID"
	pid=$(pid_of "$ID")
	for ns in $(feat '.linux.namespaces[]'); do
		f=$ns
		case $ns in network) f=net ;; mount) f=mnt ;; esac
		[ "$(ns_inode "$pid" "$f")" != "$(ns_inode $$ "$f")" ] || {
			echo "namespace $ns: the container's is the host's"
			false
		}
	done
	berth delete --force "$ID"
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	refused "bogus"
}

@test "features: every capability listed is known to create; others are named as unknown" {
	# the bounding set only: raising a capability the host itself lacks (this one has no
	# CAP_SYS_RESOURCE) fails whatever the runtime knows
	update_config --argjson c "$(feat -c '.linux.capabilities')" '.process.capabilities.bounding = $c'
	accepted "the listed capabilities"
	[[ "$WARNINGS" != *"unknown"* ]]
	[[ "$WARNINGS" != *"CAP_"* ]]
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"]'
	# runc 1.5 and berth warn and go on (an unknown name may be a newer kernel's)
	accepted "CAP_BOGUS"
	echo "$WARNINGS"
	[[ "$WARNINGS" == *"CAP_BOGUS"* ]]
}

@test "features: every seccomp action, operator and supported flag listed is accepted; others are refused" {
	[ "$(feat .linux.seccomp.enabled)" = true ] || skip "built without seccomp"
	local a o f
	# every action but NOTIFY in one profile, one syscall each
	update_config --argjson a "$(feat -c '.linux.seccomp.actions - ["SCMP_ACT_NOTIFY"]')" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [[$a, ["getcpu", "getpgid", "getsid", "getpriority", "sched_getparam", "sched_getscheduler", "ioprio_get", "getitimer", "times"]]
			| transpose[] | select(.[0] != null) | {"names": [.[1]], "action": .[0]}]}'
	accepted "every listed seccomp action but SCMP_ACT_NOTIFY"
	if listed "$(feat '.linux.seccomp.actions[]')" SCMP_ACT_NOTIFY; then
		# needs an agent; with none, create fails on the listener socket, not the action
		update_config --arg p "$BATS_TEST_TMPDIR/none.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"listenerPath": $p, "syscalls": [{"names": ["getcpu"], "action": "SCMP_ACT_NOTIFY"}]}'
		refused "none.sock"
	fi
	# every operator in one profile: a rule each, on a syscall each
	update_config --argjson o "$(feat -c '.linux.seccomp.operators')" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [[$o, ["getcpu", "getpgid", "getsid", "getpriority", "sched_getparam", "sched_getscheduler", "ioprio_get", "getitimer", "times"]]
			| transpose[] | select(.[0] != null) | {"names": [.[1]], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 0, "value": 1, "op": .[0]} + (if .[0] == "SCMP_CMP_MASKED_EQ" then {"valueTwo": 1} else {} end)]}]}'
	accepted "every listed seccomp operator"
	for f in $(feat '.linux.seccomp.supportedFlags[]'); do
		update_config --arg f "$f" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [$f],
			"syscalls": [{"names": ["getcpu"], "action": "SCMP_ACT_ERRNO"}]}'
		accepted "seccomp flag $f"
	done
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}'
	refused "SCMP_ACT_BOGUS"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcpu"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_BOGUS"}]}]}'
	refused "SCMP_CMP_BOGUS"
}

@test "features: every seccomp architecture listed is accepted" {
	[ "$(feat .linux.seccomp.enabled)" = true ] || skip "built without seccomp"
	skip_if_runc "runc 1.5.3 lists loong64, which its libseccomp 2.5 cannot add"
	update_config --argjson a "$(feat -c '.linux.seccomp.archs')" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": $a,
		"syscalls": [{"names": ["getcpu"], "action": "SCMP_ACT_ERRNO"}]}'
	accepted "every listed architecture"
}

@test "features: every memory policy mode and flag listed is accepted; others are refused" {
	[ -r /proc/self/numa_maps ] || skip "the kernel has no CONFIG_NUMA"
	local m f nodes
	for m in $(feat '.linux.memoryPolicy.modes[]'); do
		nodes=0
		case $m in MPOL_DEFAULT | MPOL_LOCAL) nodes= ;; esac
		update_config --arg m "$m" --arg n "$nodes" '.linux.memoryPolicy = {"mode": $m, "nodes": $n}'
		accepted "memory policy mode $m"
	done
	for f in $(feat '.linux.memoryPolicy.flags[]'); do
		update_config --arg f "$f" '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": [$f]}'
		accepted "memory policy flag $f"
	done
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BOGUS", "nodes": "0"}'
	refused "MPOL_BOGUS"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_BOGUS"]}'
	refused "MPOL_F_BOGUS"
}

@test "features: every hook listed runs" {
	# the host directory at the same path inside: the hooks that run in the container
	# (createContainer, startContainer) write where the others do
	mkdir -p "$BUNDLE/rootfs$HOSTDIR"
	update_config --arg d "$HOSTDIR" '.mounts += [{"destination": $d, "type": "bind", "source": $d, "options": ["bind"]}]'
	update_config --arg l "$HOSTDIR/hooks.log" --argjson h "$(feat -c .hooks)" '.hooks = ({} | reduce $h[] as $h (.;
		.[$h] = [{"path": "/bin/sh", "args": ["sh", "-c", ("echo " + $h + " >>" + $l)]}]))' 
	local h
	run_fg "$ID"
	[ "$status" -eq 0 ]
	for h in $(feat '.hooks[]'); do
		grep -qx "$h" "$HOSTDIR/hooks.log"
	done
}

@test "features: netDevices, intelRdt, AppArmor and SELinux, rdma: listed as enabled, so create takes the fields (and names what the host lacks)" {
	# linux.netDevices: create goes as far as looking for the device
	update_config '.linux.netDevices = {"nosuchdev9": {}}'
	refused "nosuchdev9"
	update_config 'del(.linux.netDevices)'
	# linux.intelRdt: made where the host has resctrl, else refused for that reason
	update_config '.linux.intelRdt = {}'
	if grep -q ' - resctrl ' /proc/self/mountinfo; then
		accepted "intelRdt"
	else
		refused "not enabled"
	fi
	update_config 'del(.linux.intelRdt)'
	# process.apparmorProfile: applied where the host runs AppArmor, else it is named
	if ! grep -q '^Y' /sys/module/apparmor/parameters/enabled 2>/dev/null; then
		update_config '.process.apparmorProfile = "berth-test"'
		refused "apparmor"
		update_config 'del(.process.apparmorProfile)'
	fi
	if [ ! -e /sys/fs/selinux/enforce ]; then
		update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
		refused "selinux"
		update_config 'del(.process.selinuxLabel)'
	fi
	# linux.resources.rdma: empty, it runs anywhere; a limit needs the host's rdma controller
	update_config '.linux.resources.rdma = {}'
	accepted "empty linux.resources.rdma"
	if [ ! -e /sys/fs/cgroup/rdma ] && ! grep -qw rdma /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
		update_config '.linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3}}'
		refused "rdma"
	fi
}

@test "features: annotations it does not list change nothing" {
	# runc 1.5's list: what runc acts on. berth acts on none of them and lists none.
	local a list set=()
	list=$(feat '.potentiallyUnsafeConfigAnnotations[]')
	for a in bundle org.criu.config org.systemd.property.ExecStartPre; do
		listed "$list" "$a" && continue
		listed "$list" "${a%.*}." && continue
		set+=("$a")
	done
	[ ${#set[@]} -gt 0 ] || skip "the runtime lists all of these"
	for a in "${set[@]}"; do
		update_config --arg a "$a" '.annotations[$a] = "/bin/false"'
	done
	set_cmd 'echo ran'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = ran ] || [[ "$output" == ran* ]]
}
