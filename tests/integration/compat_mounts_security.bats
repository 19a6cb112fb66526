#!/usr/bin/env bats
# Mounts that behave as runc 1.5 makes them (issue 14): proc and sysfs only on plain
# directories; --no-pivot leaves no host procfs or sysfs reachable; a tmpfs takes the
# mode of the directory it covers; a read-only /dev tmpfs is filled before it turns
# read-only; masked paths once each, directories sharing one tmpfs; tmpcopyup keeping
# owners and modes. See docs/security.md for the first three.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# expect_refused WORDS...: create failed with an error holding each of WORDS, and left
# nothing behind. (runc's error quotes the filesystem as \"proc\", so the words are
# matched apart.)
expect_refused() {
	local w
	for w in "$@"; do
		[[ "$stderr" == *"$w"* ]] || {
			echo "error lacks '$w'" >&2
			return 1
		}
	done
	assert_nothing_left
}

# --- item 2: proc and sysfs only on an ordinary directory ------------------------------

@test "proc: a destination that is a symlink is refused, and proc is not mounted on its target" {
	mkdir "$BUNDLE/rootfs/elsewhere"
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /elsewhere "$BUNDLE/rootfs/proc"
	set_cmd 'ls /elsewhere | wc -l'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	expect_refused 'must be mounted on ordinary directory' proc /proc
	[ -z "$(ls -A "$BUNDLE/rootfs/elsewhere")" ]
}

@test "proc: a dangling symlink as destination is refused and nothing is made through it" {
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /made-by-runtime "$BUNDLE/rootfs/proc"
	run_fg "$ID"
	[ "$status" -ne 0 ]
	expect_refused 'must be mounted on ordinary directory' proc /proc
	[ ! -e "$BUNDLE/rootfs/made-by-runtime" ]
}

@test "sysfs: a destination that is a regular file is refused" {
	rmdir "$BUNDLE/rootfs/sys"
	echo not-a-dir >"$BUNDLE/rootfs/sys"
	run_fg "$ID"
	[ "$status" -ne 0 ]
	expect_refused 'must be mounted on ordinary directory' sysfs /sys
	[ "$(cat "$BUNDLE/rootfs/sys")" = not-a-dir ]
}

@test "proc, sysfs: missing destinations are made as directories and mounted" {
	update_config '.mounts += [{"destination": "/a/proc2", "type": "proc", "source": "proc"},
		{"destination": "/b/sys2", "type": "sysfs", "source": "sysfs", "options": ["ro"]}]'
	set_cmd 'awk '\''$5 == "/a/proc2" || $5 == "/b/sys2" { print $5, $9 }'\'' /proc/self/mountinfo; test -e /a/proc2/self/status && echo proc-works'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/a/proc2 proc" ]
	[ "${lines[1]}" = "/b/sys2 sysfs" ]
	[ "${lines[2]}" = proc-works ]
}

# --- item 3: --no-pivot and the host's procfs / sysfs ----------------------------------

# A user of the container (uid 1000: no capabilities, so that `unshare -r` needs no
# CAP_SETFCAP to map itself) makes a user namespace and tries a fresh procfs (with a pid
# namespace of its own) and sysfs (with a network namespace of its own). The kernel allows
# that only while a fully visible procfs / sysfs exists in the mount namespace; the
# container's own are not (masked paths), the host's were, under --no-pivot.
nested_pseudofs_cmd() {
	mkdir -p "$BUNDLE/rootfs/mnt/p" "$BUNDLE/rootfs/mnt/s"
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'unshare -mrpf sh -c "echo in-userns; mount -t proc proc /mnt/p && echo proc-mounted"
		unshare -mrnf sh -c "echo in-userns; mount -t sysfs sysfs /mnt/s && echo sysfs-mounted"
		test -r /proc/self/status && echo own-proc-works; ls /sys/kernel >/dev/null && echo own-sys-works; true'
}

@test "--no-pivot: a nested user namespace cannot mount a procfs or sysfs" {
	nested_pseudofs_cmd
	run_fg --no-pivot "$ID"
	[ "$status" -eq 0 ]
	# the attack really ran: both user namespaces were made
	[ "$(grep -cx in-userns <<<"$output")" -eq 2 ]
	[[ "$output" != *proc-mounted* ]]
	[[ "$output" != *sysfs-mounted* ]]
	# the container's own /proc and /sys still work
	[[ "$output" == *own-proc-works* ]]
	[[ "$output" == *own-sys-works* ]]
	# and the host's are untouched
	awk '$5 == "/proc" && $9 == "proc"' /proc/self/mountinfo | grep -q .
	awk '$5 == "/sys" && $9 == "sysfs"' /proc/self/mountinfo | grep -q .
}

@test "pivot_root (the default): a nested user namespace cannot mount a procfs or sysfs either" {
	nested_pseudofs_cmd
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$(grep -cx in-userns <<<"$output")" -eq 2 ]
	[[ "$output" != *proc-mounted* ]]
	[[ "$output" != *sysfs-mounted* ]]
}

# --- item 4: a tmpfs takes the mode of the directory it covers -------------------------

@test "tmpfs without mode= takes the mode of the directory it covers" {
	local r=$BUNDLE/rootfs
	mkdir -m 0755 "$r/data"
	mkdir -m 1770 "$r/sticky"
	mkdir -m 0700 "$r/private"
	mkdir -m 0755 "$r/usermode"
	update_config '.mounts += [
		{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
		{"destination": "/sticky", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/private", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/usermode", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]},
		{"destination": "/newdir", "type": "tmpfs", "source": "tmpfs"}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'stat -c "%a %n" /data /sticky /private /usermode /newdir
		touch /data/x 2>/dev/null && echo data-writable || echo data-denied
		touch /usermode/x && echo usermode-writable'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "755 /data" ]
	[ "${lines[1]}" = "1770 /sticky" ]
	[ "${lines[2]}" = "700 /private" ]
	# mode= of config.json still wins
	[ "${lines[3]}" = "1777 /usermode" ]
	# a destination the runtime makes gets the tmpfs default
	[ "${lines[4]}" = "1777 /newdir" ]
	# the effect: a user of the container cannot write over a 0755 directory of root's
	[ "${lines[5]}" = data-denied ]
	[ "${lines[6]}" = usermode-writable ]
}

# --- item 24: a read-only /dev tmpfs ----------------------------------------------------

@test "a read-only /dev tmpfs is filled first, then made read-only" {
	update_config '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	set_cmd 'awk '\''$5 == "/dev" { print $6 }'\'' /proc/self/mountinfo
		stat -c "%F %t:%T" /dev/null /dev/zero; readlink /dev/fd; readlink /dev/ptmx
		awk '\''$5 == "/dev/pts" || $5 == "/dev/shm" || $5 == "/dev/mqueue" { print $5 }'\'' /proc/self/mountinfo | sort | xargs
		echo x >/dev/null && echo null-works
		touch /dev/new 2>&1 || true; echo x >/dev/shm/x && echo shm-writable'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ ",${lines[0]}," == *,ro,* ]]
	[[ ",${lines[0]}," == *,nosuid,* ]]
	[ "${lines[1]}" = "character special file 1:3" ]
	[ "${lines[2]}" = "character special file 1:5" ]
	[ "${lines[3]}" = /proc/self/fd ]
	[ "${lines[4]}" = pts/ptmx ]
	[ "${lines[5]}" = "/dev/mqueue /dev/pts /dev/shm" ]
	[ "${lines[6]}" = null-works ]
	[[ "${lines[7]}" == *"Read-only file system"* ]]
	[ "${lines[8]}" = shm-writable ]
}

# --- item 26: masked paths --------------------------------------------------------------

@test "maskedPaths: each path is masked once; directories share one read-only tmpfs" {
	local r=$BUNDLE/rootfs
	mkdir -p "$r/m1" "$r/m2"
	echo secret >"$r/m1/f"
	echo secret >"$r/mf"
	update_config '.root.readonly = false
		| .linux.maskedPaths = ["/m1", "/m2", "/m1/", "//m2", "/mf", "/mf", "/m1"]'
	set_cmd 'for d in /m1 /m2 /mf; do echo "$d $(awk -v d=$d '\''$5 == d'\'' /proc/self/mountinfo | wc -l)"; done
		awk '\''$5 == "/m1" || $5 == "/m2" { print $3 }'\'' /proc/self/mountinfo | sort -u | wc -l
		awk '\''$5 == "/m1" { print $6 }'\'' /proc/self/mountinfo
		ls -A /m1 | wc -l; wc -c </mf; touch /m2/x 2>&1 || true'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/m1 1" ]
	[ "${lines[1]}" = "/m2 1" ]
	[ "${lines[2]}" = "/mf 1" ]
	# one filesystem (one device number) behind both directory masks
	[ "${lines[3]}" = 1 ]
	[[ ",${lines[4]}," == *,ro,* ]]
	[ "${lines[5]}" = 0 ]
	[ "${lines[6]}" = 0 ]
	[[ "${lines[7]}" == *"Read-only file system"* ]]
}

# --- item 26: tmpcopyup keeps owners and modes ------------------------------------------

@test "tmpcopyup: the copy keeps owners and modes (setuid, setgid and sticky bits too)" {
	local d=$BUNDLE/rootfs/cu
	mkdir "$d" "$d/sub" "$d/tmp"
	echo x >"$d/suid"
	echo y >"$d/sub/secret"
	echo z >"$d/sgid"
	echo w >"$d/shared"
	ln -s sub/secret "$d/link"
	chown 1000:1000 "$d/sub" "$d/sub/secret"
	chown 0:50 "$d/sgid" "$d/shared"
	chown -h 1000:50 "$d/link"
	chmod 0750 "$d/sub"
	chmod 0640 "$d/sub/secret"
	chmod 1777 "$d/tmp"
	chmod 4755 "$d/suid"
	chmod 2755 "$d/sgid"
	chmod 0666 "$d/shared"
	chmod 2751 "$d"
	update_config '.mounts += [{"destination": "/cu", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
	# to look into sub, which root does not own
	add_caps CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH
	set_cmd 'awk '\''$5 == "/cu" { print $9 }'\'' /proc/self/mountinfo
		cd /cu && stat -c "%a %u:%g %n" . link sgid shared sub sub/secret suid tmp; cat sub/secret'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = "2751 0:0 ." ]
	[ "${lines[2]}" = "777 1000:50 link" ]
	[ "${lines[3]}" = "2755 0:50 sgid" ]
	[ "${lines[4]}" = "666 0:50 shared" ]
	[ "${lines[5]}" = "750 1000:1000 sub" ]
	[ "${lines[6]}" = "640 1000:1000 sub/secret" ]
	[ "${lines[7]}" = "4755 0:0 suid" ]
	[ "${lines[8]}" = "1777 0:0 tmp" ]
	[ "${lines[9]}" = y ]
}
