#!/usr/bin/env bats
# What the runtime does through /proc inside the container (exec.fifo's reopen, sysctls,
# the LSM exec label) must reach the kernel's procfs, never what config.json and the
# image put at /proc: a config may mount no proc, and the image may ship plain files
# where procfs has its magic ones (the CVE-2019-16884 / CVE-2025-52881 class).
# Every bundle here mounts no proc at /proc, as runc allows, and has a writable root (as
# Docker's default), so that a write to the image's files would succeed.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.mounts |= map(select(.destination != "/proc")) | .root.readonly = false'
}
teardown() { teardown_berth; }

# fifo_fd: the fd on which a created init holds exec.fifo, learnt from a probe container
# of a normal bundle (runtimes differ: berth's is 5 without preserved fds, runc's 7).
fifo_fd() {
	local save=$BUNDLE pid f fd=
	make_bundle "$BATS_TEST_TMPDIR/probe" >&2
	set_cmd true
	create_container "$ID-probe" || return 1
	pid=$(pid_of "$ID-probe")
	for f in /proc/"$pid"/fd/*; do
		case $(readlink "$f") in */exec.fifo) fd=${f##*/} ;; esac
	done
	berth delete -f "$ID-probe" >&2
	BUNDLE=$save
	[ -n "$fd" ] || {
		echo "no exec.fifo among the fds of the probe's init" >&2
		return 1
	}
	echo "$fd"
}

# image_file PATH [CONTENT]: a plain file in the image at PATH, writable by anyone (the
# container's root in a user namespace too).
image_file() {
	mkdir -p "$BUNDLE/rootfs$(dirname "$1")"
	printf '%s' "${2:-}" >"$BUNDLE/rootfs$1"
	chmod 0666 "$BUNDLE/rootfs$1"
}

# userns: the bundle gets a user namespace (container root is host uid 100000).
userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "no proc mount: a container runs, and masks directories without the container's /proc" {
	set_cmd 'ls -A /proc | wc -l; ls -A /sys/firmware | wc -l; echo ran > /host/marker'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# /proc is the image's empty directory; /sys/firmware (a masked path) an empty tmpfs
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(cat "$HOSTDIR/marker")" = ran ]
}

# check_exec: an exec into a running container of this bundle runs, and says so.
check_exec() {
	set_cmd 'sleep 100'
	run_detached "$ID"
	run berth exec "$ID" sh -c 'echo exec-ran'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = exec-ran ]
	berth delete -f "$ID"
}

@test "no proc mount: exec into the container works" {
	check_exec
}

@test "no proc mount, user namespace: exec into the container works" {
	skip_if_runc "runc makes its procfs handle after pivot_root, where a user namespace without a proc mount can make no private procfs (\"unsafe procfs detected\")"
	userns
	check_exec
}

# check_fifo_file: with a plain file at every /proc path of exec.fifo's fd in the image,
# create alone does not run the process; start does.
check_fifo_file() {
	local fd p
	fd=$(fifo_fd) || return 1
	# every path a runtime could reopen exec.fifo by, as plain files of the image
	for p in self thread-self 1 1/task/1; do
		image_file "/proc/$p/fd/$fd"
	done
	set_cmd 'echo ran > /host/marker'
	create_container "$ID"
	# give a runtime that took the image's file for the fifo time to run the process
	sleep 1
	[ ! -e "$HOSTDIR/marker" ]
	[ "$(status_of "$ID")" = created ]
	berth start "$ID"
	wait_for_file "$HOSTDIR/marker"
	[ "$(cat "$HOSTDIR/marker")" = ran ]
	# nothing was written to the image's file
	[ ! -s "$BUNDLE/rootfs/proc/self/fd/$fd" ]
	[ ! -s "$BUNDLE/rootfs/proc/1/fd/$fd" ]
	wait_for_status "$ID" stopped
	berth delete "$ID"
}

# check_sysctl [uts]: with plain files at /proc/sys/... in the image, linux.sysctl sets
# the container's own network (and with "uts", uts) namespace and leaves the image's files
# and the host alone. (A uts sysctl is root's alone: the container's root in a user
# namespace may not write it, not even through the kernel's own procfs.)
check_sysctl() {
	local host_dom host_fwd pid
	update_config '.linux.namespaces |= (map(select(.type != "uts" and .type != "network")) + [{"type": "uts"}, {"type": "network"}])
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	image_file /proc/sys/net/ipv4/ip_forward image
	if [ "${1:-}" = uts ]; then
		update_config '.linux.sysctl["kernel.domainname"] = "berth-sysctl"'
		image_file /proc/sys/kernel/domainname image
	fi
	host_dom=$(cat /proc/sys/kernel/domainname)
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	set_cmd 'true'
	create_container "$ID"
	pid=$(pid_of "$ID")
	# the container's own namespaces got the values; the image's files and the host's
	# namespaces did not
	[ "$(nsenter -t "$pid" -n cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	[ "$(cat "$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward")" = image ]
	if [ "${1:-}" = uts ]; then
		[ "$(nsenter -t "$pid" -u cat /proc/sys/kernel/domainname)" = berth-sysctl ]
		[ "$(cat "$BUNDLE/rootfs/proc/sys/kernel/domainname")" = image ]
	fi
	[ "$(cat /proc/sys/kernel/domainname)" = "$host_dom" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	berth delete -f "$ID"
}

@test "no proc mount: a plain file at /proc/self/fd/<fifo fd> does not start the container before start" {
	check_fifo_file
}

@test "no proc mount, user namespace: a plain file at /proc/self/fd/<fifo fd> does not start the container" {
	skip_if_runc "runc makes its procfs handle after pivot_root, where a user namespace without a proc mount can make no private procfs (\"unsafe procfs detected\")"
	userns
	check_fifo_file
}

@test "no proc mount: linux.sysctl lands in the kernel, not in the image's /proc/sys files" {
	check_sysctl uts
}

@test "no proc mount, user namespace: linux.sysctl lands in the kernel, not in the image's files" {
	skip_if_runc "runc makes its procfs handle after pivot_root, where a user namespace without a proc mount can make no private procfs (\"unsafe procfs detected\")"
	userns
	check_sysctl
}

@test "no proc mount: a sysctl the kernel lacks fails create, though the image has the file" {
	# a network sysctl passes validation in a network namespace; the stage's open fails
	update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])
		| .linux.sysctl = {"net.ipv4.berth_no_such_sysctl": "1"}'
	image_file /proc/sys/net/ipv4/berth_no_such_sysctl 0
	set_cmd 'true'
	run berth create --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"net.ipv4.berth_no_such_sysctl"* ]]
	[ "$(cat "$BUNDLE/rootfs/proc/sys/net/ipv4/berth_no_such_sysctl")" = 0 ]
	assert_nothing_left
}

@test "no proc mount: process.apparmorProfile is written to the kernel, not to the image's attr/exec" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] ||
		skip "AppArmor is not enabled on this host (the runtime refuses the profile before any write)"
	local p
	for p in thread-self self 1 1/task/1; do
		image_file "/proc/$p/attr/exec"
		image_file "/proc/$p/attr/apparmor/exec"
	done
	# a profile the kernel does not have: the kernel refuses it, a plain file would not
	update_config '.process.apparmorProfile = "berth-test-no-such-profile"'
	set_cmd 'echo ran > /host/marker'
	run berth run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"berth-test-no-such-profile"* ]]
	[ ! -e "$HOSTDIR/marker" ]
	[ ! -s "$BUNDLE/rootfs/proc/thread-self/attr/exec" ]
	[ ! -s "$BUNDLE/rootfs/proc/thread-self/attr/apparmor/exec" ]
	assert_nothing_left
}
