# shellcheck shell=bash disable=SC2154 # vm_lib, vm_cache, kver, moddir: set by lib.sh and the runner
# debian-image.sh: the Debian 12 disk image of systemd-guest.sh, sourced after
# lib.sh. mmdebstrap builds a root from Debian's apt with the packages of
# debian-packages.txt; Debian's cached kernel's modules go into it (so udev,
# modprobe and 9p work in the guest); it is set up to boot straight to
# multi-user.target and run the host's command; mkfs.ext4 -d turns the tree into
# an ext4 image without mounting anything. The image is cached as
# $vm_cache/debian-HASH.img, HASH covering the package list, this file, the
# unit files and the kernel version: a change to any of them rebuilds it.

vm_debian_suite=bookworm
vm_debian_mirrors=(
	"deb http://deb.debian.org/debian $vm_debian_suite main"
	"deb http://deb.debian.org/debian $vm_debian_suite-updates main"
	"deb http://deb.debian.org/debian-security $vm_debian_suite-security main"
)

# Units that cost boot time and do nothing for a throwaway test VM: timers of
# periodic jobs, gettys (nobody logs in), first-boot and update-only services,
# modules nothing here uses, users and a root file system the image already has.
vm_debian_masked=(
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer
	e2scrub_reap.service fstrim.timer logrotate.timer man-db.timer
	systemd-tmpfiles-clean.timer podman-auto-update.timer podman-auto-update.service
	podman-restart.service modprobe@drm.service modprobe@dm_mod.service modprobe@efi_pstore.service
	getty@tty1.service serial-getty@ttyS0.service console-getty.service getty.target
	systemd-firstboot.service systemd-random-seed.service ldconfig.service
	systemd-hwdb-update.service systemd-journal-catalog-update.service
	systemd-update-utmp.service systemd-update-utmp-runlevel.service
	systemd-pstore.service systemd-journal-flush.service systemd-binfmt.service
	systemd-sysusers.service systemd-remount-fs.service apparmor.service
	proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount
)

vm_debian_packages() { sed 's/#.*//' "$vm_lib/debian-packages.txt" | tr -s ' \n' '\n' | grep . | paste -sd, -; }

# vm_debian_image: sets image, building it first if it is not cached. Call locked.
vm_debian_image() {
	local h t0 root
	h=$(vm_hash "$vm_lib/debian-packages.txt" "$vm_lib/debian-image.sh" <(echo "$kver"))
	image=$vm_cache/debian-$h.img
	# Other images are another branch's list or scripts, and may be booted by a
	# worktree sharing this cache right now: only those no boot has touched for
	# three days are stale.
	find "$vm_cache" -maxdepth 1 -name 'debian-*.img' ! -name "${image##*/}" -mtime +2 -delete
	[ -s "$image" ] && touch "$image" && return
	vm_need mmdebstrap mmdebstrap
	vm_need mkfs.ext4 e2fsprogs
	t0=$(date +%s)
	vm_say "building the Debian image $image (mmdebstrap; a few minutes)"
	root=$(mktemp -d "$vm_cache/stage.XXXXXX")/root
	mmdebstrap --variant=apt --mode=root --include="$(vm_debian_packages)" \
		"$vm_debian_suite" "$root" "${vm_debian_mirrors[@]}" >"$vm_cache/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$vm_cache/mmdebstrap.log" >&2 && vm_die "mmdebstrap failed (log: $vm_cache/mmdebstrap.log)"; }
	vm_debian_customize "$root"
	# Sparse: the file takes the size of what is in it; the guest has room to write.
	mkfs.ext4 -q -F -L berth-vm -m 0 -d "$root" "$image.tmp" 8G ||
		vm_die "mkfs.ext4 -d $root failed"
	mv "$image.tmp" "$image"
	rm -rf "${root%/root}"
	vm_say "built $image in $(($(date +%s) - t0)) s"
}

vm_debian_customize() { # root
	local r=$1 u
	# Debian's cached kernel's modules, with their index.
	mkdir -p "$r/lib/modules" && cp -a "$moddir" "$r/lib/modules/"
	chroot "$r" depmod "$kver"

	echo berth-vm >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 berth-vm\n::1 localhost\n' >"$r/etc/hosts"
	# No / line: the initramfs mounts it read-write, and a line would make boot
	# wait for udev's dev-vda.device (20 s under TCG) and fsck.
	printf 'tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0\n' >"$r/etc/fstab"
	chroot "$r" systemctl set-default multi-user.target >/dev/null 2>&1
	mkdir -p "$r/files" "$r/etc/systemd/journald.conf.d"
	# A fixed machine id: no first-boot presets at every boot of the snapshot.
	chroot "$r" systemd-machine-id-setup >/dev/null
	printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >"$r/etc/systemd/journald.conf.d/vm.conf"

	cat >"$r/etc/systemd/system/vm-command.service" <<-'EOF'
		# Runs the host's command (tests/vm/systemd-guest.sh) once boot is done.
		# Type=exec: its start job ends when it runs, so the system counts as
		# "running" (is-system-running) during the command.
		[Unit]
		Description=the command of tests/vm/systemd-guest.sh
		After=multi-user.target
		ConditionPathExists=/etc/vm/run
		[Service]
		Type=exec
		ExecStart=/bin/bash /etc/vm/run
		StandardInput=null
		StandardOutput=journal+console
		TasksMax=infinity
		LimitNOFILE=1048576
		LimitMEMLOCK=infinity
		[Install]
		WantedBy=multi-user.target
	EOF
	chroot "$r" systemctl enable vm-command.service >/dev/null 2>&1
	# A boot that fails to emergency or rescue mode ends the run as "VM failed".
	for u in emergency rescue; do
		mkdir -p "$r/etc/systemd/system/$u.service.d"
		cat >"$r/etc/systemd/system/$u.service.d/vm.conf" <<-EOF
			[Service]
			ExecStart=
			ExecStart=/bin/sh -c 'systemctl --failed --no-pager >/dev/console 2>&1; echo "<2>vm: VM_FAILED: boot reached $u mode" >/dev/kmsg; sync; systemctl poweroff --force --force'
		EOF
	done
	chroot "$r" systemctl mask "${vm_debian_masked[@]}" >/dev/null 2>&1
	# containerd and Docker are installed for tests that start them; they need
	# not slow every boot.
	chroot "$r" systemctl disable containerd.service docker.service docker.socket >/dev/null 2>&1 || true

	# The rootless user: subordinate ids for newuidmap, and lingering, so that
	# its systemd instance (user@1000.service, a delegated cgroup) runs at boot.
	chroot "$r" useradd -m -u 1000 -U -s /bin/bash berthuser
	grep -q '^berthuser:' "$r/etc/subuid" 2>/dev/null || echo berthuser:100000:65536 >>"$r/etc/subuid"
	grep -q '^berthuser:' "$r/etc/subgid" 2>/dev/null || echo berthuser:100000:65536 >>"$r/etc/subgid"
	mkdir -p "$r/var/lib/systemd/linger" && : >"$r/var/lib/systemd/linger/berthuser"
	passwd -R "$r" -d root >/dev/null

	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin
}
