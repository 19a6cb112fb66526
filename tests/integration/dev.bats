#!/usr/bin/env bats
# /dev: the default devices (runtime-spec config-linux.md "Default Devices"), the /dev
# symlinks (runtime-linux.md "Dev symbolic links"), and linux.devices.

load helpers

setup() {
	setup_berth
	make_bundle
	# a known /dev layout, whatever the spec command's defaults are
	update_config '.mounts = [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}]'
}
teardown() { teardown_berth; }

@test "/dev: default character devices with their numbers and 0666" {
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
}

@test "/dev: the default devices work" {
	set_cmd 'echo gone > /dev/null && echo null-ok
		[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 ] && echo zero-ok
		echo x > /dev/full 2>/dev/null || echo full-enospc
		[ "$(head -c 16 /dev/urandom | wc -c)" = 16 ] && echo urandom-ok
		[ "$(head -c 16 /dev/random | wc -c)" = 16 ] && echo random-ok'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "null-ok
zero-ok
full-enospc
urandom-ok
random-ok" ]
}

@test "/dev: ptmx and pts (a new devpts instance)" {
	set_cmd 'stat -c %F /dev/pts; [ -c /dev/ptmx ] && echo ptmx-ok; readlink /dev/ptmx; ls /dev/pts'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = directory ]
	[ "${lines[1]}" = ptmx-ok ]
	# ptmx: a symlink to pts/ptmx (or a bind of it); the new instance has no ptys of ours
	[ "${lines[2]}" = pts/ptmx ] || [ "${lines[2]}" = "" ]
	[ "${lines[-1]}" = ptmx ]
}

@test "/dev: fd, stdin, stdout, stderr symlinks; shm" {
	set_cmd 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done; stat -c "%F %a" /dev/shm; echo via-stdout > /dev/stdout'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd -> /proc/self/fd" ]
	[ "${lines[1]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[2]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[3]}" = "stderr -> /proc/self/fd/2" ]
	[ "${lines[4]}" = "directory 1777" ]
	[ "${lines[5]}" = via-stdout ]
}

@test "/dev: no host devices leak in (only the defaults and what is configured)" {
	set_cmd 'ls /dev | sort | tr "\n" " "'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# host devices such as the root disk are not there
	local disk
	disk=$(awk '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i+2) }' /proc/self/mountinfo)
	[[ " $output " != *" ${disk#/dev/} "* ]]
	[[ " $output " != *" kmsg "* ]]
	[[ " $output " != *" mem "* ]]
}

@test "linux.devices: a character device with mode, uid and gid" {
	update_config '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 29}]'
	set_cmd 'stat -c "%F %t:%T %a %u:%g" /dev/mydev; ls -ln /dev/mydev | awk "{print \$1, \$3, \$4, \$5, \$6}"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 640 1000:29" ]
	[ "${lines[1]}" = "crw-r----- 1000 29 1, 3" ]
}

@test "linux.devices: a block device and a fifo, in a new subdirectory" {
	update_config '.linux.devices = [
		{"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384, "uid": 0, "gid": 0},
		{"path": "/dev/sub/myfifo", "type": "p", "fileMode": 420}]'
	set_cmd 'stat -c "%F %t:%T %a" /dev/myblk; stat -c "%F %a" /dev/sub/myfifo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	# 7:200 -> hex 7:c8
	[ "${lines[0]}" = "block special file 7:c8 600" ]
	[ "${lines[1]}" = "fifo 644" ]
}

@test "linux.devices: the host's /dev is untouched" {
	update_config '.linux.devices = [{"path": "/dev/berth-test-dev", "type": "c", "major": 1, "minor": 3}]'
	set_cmd '[ -c /dev/berth-test-dev ] && echo ok'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ ! -e /dev/berth-test-dev ]
}

@test "linux.devices: a device of an unknown type is an error" {
	update_config '.linux.devices = [{"path": "/dev/bad", "type": "z", "major": 1, "minor": 3}]'
	set_cmd 'true'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	assert_nothing_left
}
