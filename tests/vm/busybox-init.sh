#!/bin/busybox sh
# shellcheck shell=dash # busybox ash, which shellcheck checks as dash
# PID 1 of run-in-vm.sh's busybox guest (the initramfs is the whole system).
# Stage 1: move a bind mount of / over / and chroot into it (a switch_root
# without a copy), since pivot_root(2), which container runtimes use, fails on
# the initramfs itself.
# Stage 2: mount the usual filesystems and a pure cgroup v2 hierarchy with
# every controller enabled, run /etc/vm/cmd with its output on the virtio port
# the host streams, report its exit status on the console (the protocol of
# tests/vm/lib.sh), power off. Every process costs tens of ms under TCG, so
# this prefers shell builtins.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root

if [ "$1" != --stage2 ]; then
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
	mount -o rbind / /newroot && cd /newroot && mount -o move . / && exec chroot . /init --stage2
	echo "<2>vm: VM_FAILED: cannot switch root" >/dev/kmsg
	poweroff -f
fi

say() { read -r up _ </proc/uptime; echo "<2>vm: $* uptime=$up" >/dev/kmsg; }
off() { # flush files and the console (stty drains it: tcsetattr TCSADRAIN), power off
	sync
	stty -F /dev/console -echo
	poweroff -f
}
fail() { say "VM_FAILED: $*"; say "VM_EXIT_STATUS=125"; off; }

mount -t proc proc /proc
mount --make-rshared / # as on a systemd host
[ -f /etc/vm/conf ] || fail "no /etc/vm/conf"
# shellcheck source=/dev/null # written by the runner into the initramfs
. /etc/vm/conf # FILES=0|1 MODULES="..."
[ "$FILES" = 1 ] && MODULES="9pnet_virtio 9p $MODULES"
# shellcheck disable=SC2086 # a list of module names, split on purpose
modprobe -a virtio_pci virtio_console $MODULES & # in parallel with the rest
mods=$!
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -a || fail "mount -a failed" # /etc/fstab: sysfs, cgroup2, devpts, tmpfs...
echo vm >/proc/sys/kernel/hostname
ip link set lo up &
# bats and bash's process substitution want /dev/fd, which devtmpfs lacks.
ln -s /proc/self/fd /dev/fd

# Enable every controller for the root's children; move into a leaf (as
# systemd's /init.scope) so that the root cgroup holds no process.
cg=/sys/fs/cgroup
read -r c <$cg/cgroup.controllers
# shellcheck disable=SC3060 # busybox ash has ${var//pattern/string}
echo "+${c// / +}" >$cg/cgroup.subtree_control || fail "cannot enable controllers"
mkdir $cg/init.scope && echo $$ >$cg/init.scope/cgroup.procs

wait $mods || fail "modprobe $MODULES failed"
if [ "$FILES" = 1 ]; then
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose files /files ||
		fail "cannot mount /files"
fi

# The port appears shortly after modprobe; its writes return once qemu has the data.
i=0
until true 2>/dev/null >/dev/vport0p1; do
	[ $((i += 1)) -lt 500 ] || fail "no /dev/vport0p1"
	usleep 10000
done
exec 3>/dev/vport0p1
say VM_CMD_START
(cd /files && exec sh /etc/vm/cmd) >&3 2>&3 3>&- </dev/null
say "VM_EXIT_STATUS=$?"
off
