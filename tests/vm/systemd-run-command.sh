#!/bin/bash
# Guest side of systemd-guest.sh: run by vm-command.service (Type=exec, so
# boot can finish while it runs) once multi-user.target is reached. The
# command does not wait for the rest of boot (the lingering user's manager
# takes ~10 s more under TCG); one that needs it runs
# `systemctl is-system-running --wait` first.
# Runs /etc/vm/cmd as root in /files with stdout+stderr on the
# virtio port the host streams, reports the exit status on the console (the
# protocol of tests/vm/lib.sh) and powers off at once.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root LANG=C.UTF-8
say() { read -r up _ </proc/uptime; echo "<2>vm: $* uptime=$up" >/dev/kmsg; }
off() { # flush files and the console (stty drains it), then power off without stopping units
	sync
	stty -F /dev/ttyS0 -echo 2>/dev/null
	systemctl poweroff --force --force
}
fail() { say "VM_FAILED: $*"; say "VM_EXIT_STATUS=125"; off; }

# shellcheck source=/dev/null # written by the runner into the guest
. /etc/vm/conf # FILES=0|1
say "runner started"
# The initramfs mounted /files (and loaded the port's driver).
[ "$FILES" = 0 ] || mountpoint -q /files || fail "/files is not mounted"
# The port by its name in sysfs, not udev's /dev/virtio-ports link: nothing
# waits for udev.
port=''
i=0
while :; do
	for n in /sys/class/virtio-ports/*/name; do
		d=${n%/name} name=''
		read -r name <"$n" 2>/dev/null
		[ "$name" != vm.out ] || port=/dev/${d##*/}
	done
	[ -z "$port" ] || [ ! -c "$port" ] || break
	[ $((i += 1)) -lt 500 ] || fail "no virtio port vm.out"
	sleep 0.01
done
exec 3>"$port"
say "$port open"
say VM_CMD_START
(cd /files && exec bash /etc/vm/cmd) >&3 2>&3 3>&- </dev/null
say "VM_EXIT_STATUS=$?"
off
