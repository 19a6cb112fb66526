#!/usr/bin/env bats
# The rootfs steps of create's plan (issue 17): the parent compiles the mounts, /dev,
# pivot_root, readonly and masked paths (libcontainer/rootfs/compile.go) and the C stage
# runs them (nsenter/rootfs.c and the files it dispatches to), with no Go init. The
# --debug records show the steps ran in C; the rest checks behaviour the other files do
# not: decisions made at run time in the container's mount namespace (the covered
# directory's mode, a read-only /dev filled first), shared directory masks, and errors
# of a step named by its config field, with nothing left.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

@test "create plan rootfs: the mounts, /dev, pivot_root and the masks run as C steps, with no Go init (--debug records)" {
	skip_if_runc "runc's init is Go; this checks berth's C executor"
	set_cmd 'grep -c . /proc/self/mountinfo'
	local log=$BATS_TEST_TMPDIR/debug.log
	run --separate-stderr "$BERTH" --root "$ROOT" --debug --log "$log" --log-format json run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output $stderr"
	cat "$log"
	[ "$status" -eq 0 ]
	grep -q 'create: init runs from a plan of [0-9]* bytes in the C stage' "$log"
	# each mount of config.json, as the C stage did it, then the root and the masks
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	grep -q "rootfs: mounts\[0\]: proc (type \\\\\"proc\\\\\") on /proc" "$log"
	grep -q "rootfs: mounts\[$((n - 1))\]: op 5[12] done" "$log"
	grep -q 'rootfs: root.path: op 50 done' "$log"
	grep -q 'rootfs: linux.devices: op 54 done' "$log"
	grep -q 'rootfs: root.path: op 55 done' "$log"
	grep -q 'rootfs: linux.maskedPaths\[0\]: op 60 done' "$log"
	grep -q 'rootfs: linux.readonlyPaths\[0\]: op 59 done' "$log"
	# no Go init took part (its records say "init: <step>: done")
	! grep -q '"msg":"init: ' "$log" || false
}

@test "create plan rootfs: a tmpfs without mode= takes the mode of the image directory it covers; mode= wins" {
	mkdir -p "$BUNDLE/rootfs/srv/a" "$BUNDLE/rootfs/srv/b"
	chmod 0750 "$BUNDLE/rootfs/srv/a" "$BUNDLE/rootfs/srv/b"
	update_config '.mounts += [{"destination": "/srv/a", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
		{"destination": "/srv/b", "type": "tmpfs", "source": "tmpfs", "options": ["mode=711"]},
		{"destination": "/srv/new", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'stat -c "%n %a" /srv/a /srv/b /srv/new; grep " /srv/a " /proc/self/mountinfo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/srv/a 750" ]
	[ "${lines[1]}" = "/srv/b 711" ]
	[ "${lines[2]}" = "/srv/new 1777" ]
	[[ "${lines[3]}" == *" - tmpfs "* ]]
	# the image's directories are untouched
	[ "$(stat -c %a "$BUNDLE/rootfs/srv/b")" = 750 ]
}

@test "create plan rootfs: a read-only /dev of config.json is filled first, then read-only" {
	update_config '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	set_cmd 'ls -l /dev/null /dev/zero | cut -c1; readlink /dev/fd; readlink /dev/ptmx; grep " /dev " /proc/self/mountinfo; touch /dev/x 2>&1 || echo refused'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = c ] && [ "${lines[1]}" = c ]
	[ "${lines[2]}" = /proc/self/fd ]
	[ "${lines[3]}" = pts/ptmx ]
	[[ "${lines[4]}" == *" /dev ro,"* ]]
	[[ "$output" == *"Read-only file system"*refused* ]]
}

@test "create plan rootfs: masked directories share one read-only tmpfs; a path listed twice is masked once" {
	update_config '.linux.maskedPaths = ["/proc/acpi", "/sys/firmware", "/proc/scsi", "/sys/firmware/", "/proc/sys/fs/binfmt_misc"]
		| .linux.readonlyPaths = ["/proc/bus"]'
	set_cmd 'for d in /sys/firmware /proc/acpi /proc/scsi; do [ -d $d ] && stat -c "%d %a" $d; done | sort -u; grep -c " /sys/firmware " /proc/self/mountinfo; touch /sys/firmware/x 2>/dev/null || echo refused'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# every masked directory that exists is on the same device: one tmpfs
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^[0-9]+\ [0-7]+$ ]]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = refused ]
}

@test "create plan rootfs: proc on a symlink of the image fails its step, named by the mount, with nothing left" {
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s /tmp "$BUNDLE/rootfs/proc"
	run --separate-stderr "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output $stderr"
	[ "$status" -ne 0 ]
	is_runc || [[ "$stderr" == *'mounts[0]: mount destination: /proc is a symlink: filesystem "proc" must be mounted on ordinary directory'* ]]
	[[ "$stderr" == *"must be mounted on ordinary directory"* ]]
	assert_nothing_left
	# nothing was mounted on the image's /tmp through the link
	! grep -qF "$BUNDLE/rootfs/tmp" /proc/self/mountinfo || false
}

@test "create plan rootfs: a device node under a missing directory is made there, in the container only" {
	update_config '.linux.devices = [{"path": "/dev/berth/sub/null2", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 0}]'
	set_cmd 'stat -c "%F %t:%T %a" /dev/berth/sub/null2; echo x >/dev/berth/sub/null2 && echo written'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 666" ]
	[ "${lines[1]}" = written ]
	# made on the container's /dev tmpfs: neither the image nor the host has it
	[ ! -e "$BUNDLE/rootfs/dev/berth" ]
	[ ! -e /dev/berth ]
}
