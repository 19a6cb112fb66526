#!/bin/busybox sh
# shellcheck shell=dash # busybox ash, which shellcheck checks as dash
# /init of the systemd guest's initramfs (systemd-guest.sh): load the disk's
# modules, mount the Debian image (/dev/vda, ext4) on /newroot, put this run's
# /etc/vm (command, settings, runner) into it, mount /files (9p) in it, and
# hand over to systemd.
# Debian's kernel has virtio and ext4 as modules, hence this small stage
# instead of root= alone (crc32c_generic by name: ext4 asks the crypto API
# for crc32c, and no alias table here would find it). The disk is a
# copy-on-write snapshot of the cached image, so writing /etc/vm into it
# touches nothing that outlives the run.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
fail() { echo "<2>vm: VM_FAILED: $*" >/dev/kmsg; poweroff -f; }

# Also the command's: its output port and /files. Here they load in a blink;
# later they would wait behind udev's coldplug and the rest of boot.
modprobe -a virtio_pci virtio_blk crc32c_generic ext4 virtio_console 9pnet_virtio 9p ||
	fail "modprobe virtio_pci virtio_blk crc32c_generic ext4 virtio_console 9pnet_virtio 9p"
i=0
until [ -b /dev/vda ]; do
	[ $((i += 1)) -lt 500 ] || fail "no /dev/vda (the image)"
	usleep 10000
done
mount -t ext4 -o rw,noatime /dev/vda /newroot || fail "cannot mount /dev/vda"
[ -x /newroot/lib/systemd/systemd ] || fail "no /lib/systemd/systemd in the image"
{ rm -rf /newroot/etc/vm && cp -a /etc/vm /newroot/etc/vm; } || fail "cannot copy /etc/vm"
# shellcheck source=/dev/null # written by the runner into the initramfs
. /etc/vm/conf # FILES=0|1
if [ "$FILES" = 1 ]; then
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose files /newroot/files ||
		fail "cannot mount /files"
fi
for m in dev proc sys; do mount --move /$m /newroot/$m; done
exec switch_root /newroot /lib/systemd/systemd
