#!/usr/bin/env bash
# systemd-guest.sh: run a command as root in a throwaway Debian 12 VM whose PID 1
# is systemd, on a pure cgroup v2 hierarchy, once boot has reached
# multi-user.target. Works without KVM (TCG). The image is built once with
# mmdebstrap and cached under .cache/vm (see README.md); every boot starts from
# it clean (the disk is a copy-on-write snapshot).
set -euo pipefail
umask 022
vm_name=systemd-guest
. "$(dirname "$0")/lib.sh"
. "$vm_lib/debian-image.sh"

vm_usage() {
	cat <<'USAGE'
usage: systemd-guest.sh [options] -- COMMAND [ARG...]
  --files DIR      share DIR read-write at /files in the guest (the command's cwd)
  --mem SIZE       guest memory (default 2G)
  --cpus N         guest CPUs (default 2)
  --timeout SECS   stop the VM after SECS (default 900)
  -v, --verbose    print the guest console and timings to stderr
  --setup          only build and cache the image, kernel and initramfs, then exit
The command runs as root (bash, cwd /files) in vm-command.service; its
stdout+stderr go to stdout. Exit status: the command's; 124 if the VM timed
out, 125 if it failed (console tail on stderr).
USAGE
}

vm_parse "--files --mem --cpus --timeout" "$@"
vm_lock
vm_setup_host
vm_debian_image
# The initramfs only mounts the image and /files and starts systemd.
base=$vm_cache/systemd-initrd-$(vm_hash "$vm_lib/systemd-initrd.sh" "$vm_lib/lib.sh" "$vm_cache/busybox" "$vm_cache/kernel/kver").cpio.gz
if [ ! -s "$base" ]; then
	rm -f "$vm_cache"/systemd-initrd-*.cpio.gz
	s=$(mktemp -d "$vm_cache/stage.XXXXXX")
	vm_busybox_stage "$s" "$vm_lib/systemd-initrd.sh"
	vm_copy_modules "$s" virtio_pci virtio_blk crc32c_generic ext4 virtio_console 9pnet_virtio 9p
	vm_pack_base "$s" "$base"
	rm -rf "$s"
fi
vm_unlock
[ $setup_only = 0 ] || exit 0

vm_start_run
install -m 755 "$vm_lib/systemd-run-command.sh" "$vm_tmp/stage/etc/vm/run"
# Masked here rather than in the image (no rebuild to change them): modules
# that load on first use anyway (/dev/fuse, /dev/loop-control are static
# nodes), and configfs, which nothing here mounts.
append="rw systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 systemd.log_level=warning"
for u in modprobe@fuse.service modprobe@loop.service modprobe@configfs.service sys-kernel-config.mount; do
	append+=" systemd.mask=$u"
done
vm_run "$base" "$append" \
	-drive "file=$image,format=raw,if=virtio,snapshot=on,cache=unsafe"
