#!/usr/bin/env bash
# run-in-vm.sh: run a command as root in a throwaway qemu VM with a busybox
# userland on an initramfs, whose kernel (Debian's) mounts a pure cgroup v2
# hierarchy with every controller. Boots in a few seconds without KVM (TCG).
# Kernel, busybox and the base initramfs are cached under .cache/vm (README.md).
set -euo pipefail
umask 022
vm_name=run-in-vm
. "$(dirname "$0")/lib.sh"

vm_usage() {
	cat <<'USAGE'
usage: run-in-vm.sh [options] -- COMMAND [ARG...]
  --files DIR      share DIR read-write at /files in the guest (the command's cwd)
  --modules LIST   extra kernel modules to load, comma-separated (e.g. overlay,veth)
  --mem SIZE       guest memory (default 2G)
  --cpus N         guest CPUs (default 2)
  --timeout SECS   stop the VM after SECS (default 900)
  -v, --verbose    print the guest kernel log and timings to stderr
  --setup          only install and cache what is needed, then exit
The command runs as root (busybox sh, cwd /files); its stdout+stderr go to
stdout. Exit status: the command's; 124 if the VM timed out, 125 if it failed
(kernel log tail on stderr).
USAGE
}

vm_parse "--files --modules --mem --cpus --timeout" "$@"
vm_lock
vm_setup_host
base=$vm_cache/busybox-$(vm_hash "$vm_lib/busybox-init.sh" "$vm_lib/lib.sh" "$vm_cache/busybox" "$vm_cache/kernel/kver").cpio.gz
if [ ! -s "$base" ]; then
	rm -f "$vm_cache"/busybox-*.cpio.gz
	s=$(mktemp -d "$vm_cache/stage.XXXXXX")
	vm_busybox_stage "$s" "$vm_lib/busybox-init.sh"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$s/etc/passwd"
	echo 'root:x:0:' >"$s/etc/group"
	printf '127.0.0.1 localhost vm\n::1 localhost\n' >"$s/etc/hosts"
	cat >"$s/etc/fstab" <<-'FSTAB'
		sysfs   /sys            sysfs   defaults 0 0
		cgroup2 /sys/fs/cgroup  cgroup2 nsdelegate 0 0
		devpts  /dev/pts        devpts  ptmxmode=0666,mode=0620,gid=5 0 0
		shm     /dev/shm        tmpfs   mode=1777 0 0
		mqueue  /dev/mqueue     mqueue  defaults 0 0
		tmp     /tmp            tmpfs   mode=1777 0 0
		run     /run            tmpfs   mode=0755 0 0
	FSTAB
	vm_copy_modules "$s" virtio_pci virtio_console 9pnet_virtio 9p
	vm_pack_base "$s" "$base"
	rm -rf "$s"
fi
vm_unlock
[ $setup_only = 0 ] || exit 0

vm_start_run
s=$vm_tmp/stage
# shellcheck disable=SC2086 # a list of module names, split on purpose
[ -z "$modules" ] || vm_copy_modules "$s" $modules
if [ -n "$files" ]; then # the libraries of dynamically linked executables in DIR
	for lib in $(find "$files" -type f -perm -u+x -print0 | xargs -0r ldd 2>/dev/null |
		awk '/^\t/ {for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}' | sort -u); do
		mkdir -p "$s${lib%/*}" && cp -L "$lib" "$s$lib"
	done
fi
vm_run "$base" ""
