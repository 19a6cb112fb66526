#!/usr/bin/env bats
# CVE-2024-21626, attempted for real: an fd of the runtime that reaches the container
# (or merely its init, before the user's process runs) is a door to the host. In runc it
# was a directory fd of the host's cgroupfs: a container with process.cwd =
# /proc/self/fd/7 started in the host's cgroup directory, and args[0] =
# /proc/self/fd/7/../../../bin/sh ran a host binary. Here the runtime is handed a host
# directory fd by its caller, without close-on-exec (as a careless caller would), and
# the container tries every way through it.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
	# a host directory the container must never reach: a marker, and a shell (busybox
	# named sh) that exists only there, so that running it proves an escape
	HOSTONLY=$BATS_TEST_TMPDIR/hostonly
	mkdir -p "$HOSTONLY"
	touch "$HOSTONLY/HOST-MARKER"
	cp "$(command -v busybox)" "$HOSTONLY/sh"
}
teardown() { teardown_berth; }

# attack_fds: the fds the attacks try: the ones the caller leaks (7, 20), and every fd a
# created container's init holds (the runtime's own plumbing), 3 and up.
attack_fds() {
	local pid fds
	set_cmd 'exec sleep 100'
	leak_dirs create_container "$ID-probe" || return 1
	pid=$(pid_of "$ID-probe")
	fds=$(ls "/proc/$pid/fd")
	berth delete --force "$ID-probe" >&2
	printf '%s\n' $fds 7 20 | awk '$1 > 2' | sort -nu | tr '\n' ' '
}

# leak_dirs CMD...: run CMD with host directory fds 7, 9 and 20 open (no close-on-exec).
leak_dirs() {
	"$@" 7<"$HOSTONLY" 9<"$HOSTONLY" 20<"$HOSTONLY"
}

# refute_escape: fail, saying what was seen, if the output shows an escape (a host-only
# binary ran, or the host's marker was listed).
refute_escape() {
	if [[ "$output$stderr" == *ESCAPED* || "$output" == *HOST-MARKER* ]]; then
		echo "ESCAPE: $output $stderr" >&2
		return 1
	fi
}

# dir_fds_outside PID ROOTFS: fds of PID that are directories other than the container's
# root (compared by device and inode: readlink of a pivoted root says only "/") and its
# procfs handle (a procfs, its root or init's own fd and attr directories, that does not
# list this shell: of the container's pid namespace, not the host's).
dir_fds_outside() {
	local f root
	root=$(stat -c %d:%i "$2")
	for f in /proc/"$1"/fd/*; do
		[ -d "$f" ] || continue
		[ "$(stat -L -c %d:%i "$f")" = "$root" ] && continue
		if [ "$(stat -L -f -c %T "$f")" = proc ] && [ ! -e "$f/$$" ] && [ ! -e "$f/../../$$" ]; then
			continue
		fi
		echo "fd ${f##*/} -> $(readlink "$f")"
	done
}

@test "CVE-2024-21626: no fd of the runtime, or of its caller, is open in a created container's init" {
	set_cmd 'exec sleep 100'
	leak_dirs create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	ls -l "/proc/$pid/fd"
	# no directory but the container's own root (init holds / for in-root lookups)
	[ -z "$(dir_fds_outside "$pid" "$BUNDLE/rootfs")" ]
	# nothing of the caller's: its fds 7, 9, 20 named the host directory
	! find "/proc/$pid/fd" -mindepth 1 -printf '%l\n' | grep -F -- "$HOSTONLY" || false
	berth start "$ID"
	wait_for_status "$ID" running
	# the user's process: exactly stdio
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
}

@test "CVE-2024-21626: process.cwd = /proc/self/fd/N never starts the process in a host directory (run)" {
	local n cwd fds
	fds=$(attack_fds)
	echo "fds: $fds"
	set_cmd 'pwd; ls; ls ../../../../../../../../..'"$HOSTONLY"' 2>&1'
	for n in $fds; do
		# the fd itself, and a directory below it (which a runtime creating a missing cwd
		# would make on the host)
		for cwd in "/proc/self/fd/$n" "/proc/self/fd/$n/sub"; do
			update_config --arg c "$cwd" '.process.cwd = $c'
			leak_dirs run_fg "$ID-$n"
			refute_escape
			# refused; or (an fd of the runtime's own) run inside the container
			[ "$status" -eq 0 ] || [[ "$stderr" == *"/proc/self/fd/$n"* ]]
		done
	done
	# nothing was made in the host directory
	[ "$(ls -A "$HOSTONLY" | tr '\n' ' ')" = "HOST-MARKER sh " ]
}

@test "CVE-2024-21626: args[0] = /proc/self/fd/N/... never runs a host binary (run)" {
	local n fds
	fds=$(attack_fds)
	echo "fds: $fds"
	for n in $fds; do
		update_config --arg a "/proc/self/fd/$n/sh" '.process.args = [$a, "-c", "echo ESCAPED; ls /proc/self/cwd/"]'
		leak_dirs run_fg "$ID-$n"
		refute_escape
		[ "$status" -ne 0 ]
		# the relative form of the advisory: up from the fd to the host's /
		update_config --arg a "/proc/self/fd/$n/../../../../../../../..$HOSTONLY/sh" '.process.args = [$a, "-c", "echo ESCAPED"]'
		leak_dirs run_fg "$ID-r$n"
		refute_escape
		[ "$status" -ne 0 ]
	done
	cmp "$HOSTONLY/sh" "$(command -v busybox)"
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N and exec /proc/self/fd/N/... stay in the container" {
	local n fds
	fds=$(attack_fds)
	echo "fds: $fds"
	set_cmd 'exec sleep 100'
	run_detached "$ID"
	for n in $fds; do
		leak_dirs run --separate-stderr berth exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'pwd; ls' </dev/null
		echo "cwd $n: $status $output $stderr"
		refute_escape
		[ "$status" -ne 0 ]
		leak_dirs run --separate-stderr berth exec "$ID" "/proc/self/fd/$n/sh" -c 'echo ESCAPED' </dev/null
		echo "args $n: $status $output $stderr"
		refute_escape
		[ "$status" -ne 0 ]
		# the exec'd process has nothing of the caller's either
		# (ls's own fds: stdio, and the directory it reads at the lowest free fd, 3)
		leak_dirs run --separate-stderr berth exec "$ID" ls /proc/self/fd </dev/null
		[ "$status" -eq 0 ]
		[ "$(echo $output)" = "0 1 2 3" ]
	done
}

@test "CVE-2024-21626: a process racing exec never sees a host directory in another process's /proc/<pid>/{fd,cwd,root}" {
	# The attacker holds CAP_SYS_PTRACE (so /proc/<pid>/fd of the exec'd process's init,
	# which is not dumpable, is readable to it) and scans /proc while execs come and go.
	hostdir_mount
	add_caps CAP_SYS_PTRACE
	cat >"$BUNDLE/rootfs/scan.sh" <<'SH'
#!/bin/sh
echo scanning > /host/ready
while [ ! -e /host/stop ]; do
	for l in /proc/[0-9]*/fd/* /proc/[0-9]*/cwd /proc/[0-9]*/root; do
		[ -e "$l/HOST-MARKER" ] && echo "$l" >> /host/found
	done
done
echo done > /host/stopped
SH
	chmod 755 "$BUNDLE/rootfs/scan.sh"
	update_config '.process.args = ["/scan.sh"]'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/ready"
	local i
	for i in $(seq 1 20); do
		leak_dirs berth exec --cwd /tmp "$ID" true </dev/null
	done
	touch "$HOSTDIR/stop"
	wait_for_file "$HOSTDIR/stopped" 10
	[ ! -e "$HOSTDIR/found" ] || { cat "$HOSTDIR/found"; false; }
}

@test "the user's process gets stdio and the preserved fds, nothing else (create, --preserve-fds 2)" {
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	set_cmd 'cat <&3; cat <&4; echo started; exec sleep 100'
	# (not create_container: it closes fd 3)
	leak_dirs timeout 60 "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" --preserve-fds 2 "$ID" \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" </dev/null >"$(cout "$ID")" 2>"$(cerr "$ID")"
	track_pid "$(pid_of "$ID")"
	berth start "$ID"
	wait_for_line "$(cout "$ID")" started
	[ "$(sed -n 1p "$(cout "$ID")")" = three ]
	[ "$(sed -n 2p "$(cout "$ID")")" = four ]
	# host side, once the shell has become sleep: exactly five fds
	local pid i
	pid=$(pid_of "$ID")
	for i in $(seq 50); do
		[ "$(cat "/proc/$pid/comm")" = sleep ] && break
		sleep 0.05
	done
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ]
	[ "$(stat -Lc %i "/proc/$pid/fd/3")" = "$(stat -c %i "$BATS_TEST_TMPDIR/f3")" ]
}

@test "--preserve-fds beyond the fds the caller passed: refused, none of the runtime's own fds is passed" {
	skip_if_runc "1.1.5 passes whatever fds it has open itself in the preserved range"
	set_cmd 'ls -l /proc/$$/fd'
	# the caller passes fd 3 only; fds 4.. would be the runtime's own (the Go runtime keeps
	# the host's cgroup files open, for instance)
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" --preserve-fds 4 "$ID" \
		3</dev/null </dev/null
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *preserve-fds* ]]
	[[ "$output" != *cgroup* ]]
	assert_nothing_left
	set_cmd 'exec sleep 100'
	run_detached "$ID-2"
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" exec --preserve-fds 4 "$ID-2" ls -l /proc/self/fd \
		3</dev/null </dev/null
	echo "$status $output $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *preserve-fds* ]]
}
