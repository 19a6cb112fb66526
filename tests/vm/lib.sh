# shellcheck shell=bash disable=SC2154 # vm_name is set by the runner that sources this
# lib.sh: what the two guests of tests/vm share, sourced by run-in-vm.sh (busybox,
# cgroup v2) and systemd-guest.sh (Debian 12, systemd): the command line, the
# cache and its lock, Debian's kernel, initramfs pieces, the per-run command
# files, and the qemu run with its exit-status protocol:
#
#   host                                   guest
#   per-run cpio: /etc/vm/{cmd,conf}  -->  PID 1 (busybox init or systemd unit)
#   out file  <-- virtio serial port  <--  the command's stdout+stderr
#   console.log <-- ttyS0             <--  "vm: VM_EXIT_STATUS=N" / "vm: VM_FAILED: why"
#
# Exit status of a run: the command's; 124 on timeout; 125 if the VM failed.
# Needs bash; the caller sets vm_name (for messages) before sourcing.

vm_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_repo=$(cd "$vm_lib/../.." && pwd)
# Everything slow to make lives here, inside the repository (gitignored).
vm_cache=${VM_CACHE:-$vm_repo/.cache/vm}

vm_say() { echo "$vm_name: $*" >&2; }
vm_die() { vm_say "$*" && exit 125; }

# ---- command line -------------------------------------------------------------
# vm_parse ALLOWED-OPTIONS "$@": sets files modules mem cpus timeout verbose
# setup_only, and vm_cmd to the command after "--". ALLOWED lists the options
# with a value that this guest takes (e.g. "--files --mem --cpus --timeout").
vm_parse() {
	local allowed=" $1 "
	shift
	files='' modules='' mem=2G cpus=2 timeout=900 verbose=0 setup_only=0 vm_cmd=()
	while [ $# -gt 0 ]; do
		case $1 in
		-v | --verbose) verbose=1 && shift && continue ;;
		--setup) setup_only=1 && shift && continue ;;
		-h | --help) vm_usage && exit 0 ;;
		--) shift && vm_cmd=("$@") && break ;;
		esac
		case $allowed in *" $1 "*) ;; *) vm_usage >&2 && exit 2 ;; esac
		[ $# -ge 2 ] || { vm_usage >&2; exit 2; }
		case $1 in
		--files) files=$(cd "$2" && pwd) || exit 2 ;;
		--modules) modules=${2//,/ } ;;
		--mem) mem=$2 ;;
		--cpus) cpus=$2 ;;
		--timeout) timeout=$2 ;;
		esac
		shift 2
	done
	[ ${#vm_cmd[@]} -gt 0 ] || [ $setup_only = 1 ] || { vm_usage >&2; exit 2; }
	case $files in *,*) vm_say "--files path must not contain a comma (qemu's option syntax)" && exit 2 ;; esac
	case $timeout in '' | *[!0-9]*) vm_say "--timeout must be a number of seconds" && exit 2 ;; esac
	return 0
}

# ---- cache, lock, host packages ---------------------------------------------
# vm_lock: one setup at a time per cache (several lanes may start together).
vm_lock() {
	mkdir -p "$vm_cache"
	exec 9>"$vm_cache/.lock"
	flock 9
	rm -rf "$vm_cache"/dl.* "$vm_cache"/stage.* "$vm_cache"/*.tmp # left by an interrupted setup
}
vm_unlock() { exec 9>&-; }

vm_apt_updated=0
vm_apt_install() { # packages...: quietly; the log is shown if it fails even after an update
	vm_say "installing $*"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	apt-get install -y -qq --no-install-recommends "$@" >"$vm_cache/apt.log" 2>&1 ||
		{ vm_apt_update && apt-get install -y -qq --no-install-recommends "$@" >"$vm_cache/apt.log" 2>&1; } ||
		{ cat "$vm_cache/apt.log" >&2 && exit 125; }
}
vm_apt_update() { [ $vm_apt_updated = 1 ] || apt-get update -qq >&2; vm_apt_updated=1; }

vm_need() { # command package: install package unless command is on PATH
	command -v "$1" >/dev/null || vm_apt_install "$2"
}

# ---- Debian's kernel (and busybox-static), cached in $vm_cache/kernel ----------
vm_kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }

# Decompress the kernel ELF out of the bzImage: qemu boots it directly (PVH),
# which skips the slow in-guest decompression under TCG.
vm_extract_vmlinux() { # bzImage output
	local m off
	for m in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		off=$(LC_ALL=C grep -obUaP "${m#*:}" "$1" | head -1 | cut -d: -f1)
		[ -n "$off" ] && command -v "${m%%:*}" >/dev/null || continue
		tail -c +$((off + 1)) "$1" | "${m%%:*}" -dc >"$2" 2>/dev/null || true
		[ "$(head -c4 "$2")" = $'\x7fELF' ] && return 0
	done
	rm -f "$2" && return 1
}

vm_fetch_kernel() {
	local pkg d
	vm_say "fetching Debian's kernel and busybox-static into $vm_cache"
	d=$(mktemp -d "$vm_cache/dl.XXXXXX")
	pkg=$(vm_kernel_pkg)
	[ -n "$pkg" ] || { vm_apt_update && pkg=$(vm_kernel_pkg); }
	[ -n "$pkg" ] || vm_die "apt knows no linux-image-amd64"
	(cd "$d" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" busybox-static >&2) ||
		{ vm_apt_update && (cd "$d" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" busybox-static >&2); } ||
		vm_die "cannot download $pkg and busybox-static"
	dpkg-deb -x "$d"/busybox-static_*.deb "$d/bb" && cp "$d/bb/bin/busybox" "$vm_cache/busybox"
	rm -rf "$vm_cache/kernel" && dpkg-deb -x "$d"/linux-image-*.deb "$vm_cache/kernel"
	rm -rf "$d"
	kver=$(ls "$vm_cache/kernel/lib/modules")
	"$vm_cache/busybox" depmod -b "$vm_cache/kernel" "$kver"
	vm_extract_vmlinux "$vm_cache/kernel/boot/vmlinuz-$kver" "$vm_cache/kernel/vmlinux" || vm_say "booting the bzImage"
	echo "$kver" >"$vm_cache/kernel/kver"
}

# vm_setup_host: qemu and the kernel; sets kver, moddir, kernel. Call locked.
# Delete $vm_cache/kernel to pick up a newer Debian kernel.
vm_setup_host() {
	vm_need qemu-system-x86_64 qemu-system-x86
	vm_need xz xz-utils
	[ -s "$vm_cache/kernel/kver" ] && [ -x "$vm_cache/busybox" ] || vm_fetch_kernel
	kver=$(cat "$vm_cache/kernel/kver") moddir=$vm_cache/kernel/lib/modules/$kver
	kernel=$vm_cache/kernel/vmlinux
	[ -s "$kernel" ] || kernel=$vm_cache/kernel/boot/vmlinuz-$kver
}

# ---- initramfs pieces ---------------------------------------------------------
vm_mod_files() { # module names -> their .ko files and dependencies (from modules.dep)
	local m
	for m; do
		awk -F': *' -v m="${m//-/_}" '{n=$1; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n)}
			n == m {print $1; if ($2 != "") print $2}' "$moddir/modules.dep"
	done | tr ' ' '\n' | sort -u
}

vm_copy_modules() { # stage-dir module-names...
	local s=$1 f
	shift
	for f in $(vm_mod_files "$@"); do
		mkdir -p "$s/lib/modules/$kver/${f%/*}" && cp "$moddir/$f" "$s/lib/modules/$kver/$f"
	done
}

# vm_busybox_stage DIR: a busybox root with /init from INIT-SCRIPT, for a base initramfs.
vm_busybox_stage() { # dir init-script
	local s=$1 a
	mkdir -p "$s"/{bin,sbin,usr/bin,usr/sbin,etc/vm,dev,proc,sys,tmp,run,root,files,newroot,lib/modules/"$kver"}
	cp "$vm_cache/busybox" "$s/bin/busybox"
	for a in $("$vm_cache/busybox" --list-full); do [ -e "$s/$a" ] || ln -s /bin/busybox "$s/$a"; done
	install -m 755 "$2" "$s/init"
	cp "$moddir"/modules.{dep,builtin} "$s/lib/modules/$kver/"
}

vm_mkcpio() { (cd "$1" && find . -mindepth 1 | "$vm_cache/busybox" cpio -o -H newc -R 0:0 2>/dev/null); }

# vm_pack_base DIR OUT: a gzipped cpio, padded so that a per-run cpio appended
# to it is aligned as the kernel wants.
vm_pack_base() {
	vm_mkcpio "$1" | gzip -1 >"$2.tmp"
	truncate -s %512 "$2.tmp"
	mv "$2.tmp" "$2"
}

# vm_hash FILE...: the cache key of what is built from these files.
vm_hash() { cat "$@" | md5sum | cut -c1-12; }

# ---- one run --------------------------------------------------------------------
vm_tmp='' vm_qpid='' vm_tpid='' vm_wpid=''
vm_cleanup() {
	local p
	for p in $vm_qpid $vm_tpid $vm_wpid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	[ -z "$vm_tmp" ] || rm -rf "$vm_tmp"
}

# vm_start_run: a private temporary directory, removed at exit; $vm_tmp/stage
# is the per-run initramfs's root, with /etc/vm/cmd (the command, quoted for
# sh) and /etc/vm/conf (FILES=0|1, MODULES="...").
vm_start_run() {
	local a
	vm_tmp=$(mktemp -d "${TMPDIR:-/tmp}/$vm_name.XXXXXX")
	trap vm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$vm_tmp/stage/etc/vm"
	{
		printf exec
		for a in "${vm_cmd[@]}"; do printf " '%s'" "${a//\'/\'\\\'\'}"; done
		echo
	} >"$vm_tmp/stage/etc/vm/cmd"
	printf 'FILES=%s\nMODULES="%s"\n' "$([ -n "$files" ] && echo 1 || echo 0)" "$modules" >"$vm_tmp/stage/etc/vm/conf"
}

# vm_run BASE-INITRD APPEND [QEMU-ARGS...]: boot the kernel with BASE-INITRD plus
# the per-run stage, stream the command's output, and exit with the run's status.
vm_run() {
	local base=$1 append=$2 accel=tcg qboot=/usr/share/qemu/qboot.rom t0 t1 qrc st up
	shift 2
	vm_mkcpio "$vm_tmp/stage" | cat "$base" - >"$vm_tmp/initrd"
	[ ! -w /dev/kvm ] || accel=kvm
	local qemu=(qemu-system-x86_64 -accel "$accel" -machine q35 -cpu max -smp "$cpus" -m "$mem")
	[ ! -f "$qboot" ] || qemu+=(-bios "$qboot") # minimal firmware: boots faster than SeaBIOS
	# shellcheck disable=SC2054 # the commas are qemu's, inside one argument
	qemu+=(-nodefaults -display none -no-reboot -kernel "$kernel" -initrd "$vm_tmp/initrd"
		-append "console=ttyS0 quiet panic=-1 no_timer_check cgroup_no_v1=all cryptomgr.notests $append ${VM_APPEND:-}"
		-serial "file:$vm_tmp/console.log" -chardev "file,id=out,path=$vm_tmp/out,append=on"
		-device virtio-serial-pci -device virtserialport,chardev=out,name=vm.out)
	# shellcheck disable=SC2054 # the commas are qemu's, inside one argument
	[ -z "$files" ] || qemu+=(-fsdev "local,id=files,path=$files,security_model=mapped-xattr"
		-device virtio-9p-pci,fsdev=files,mount_tag=files)
	qemu+=("$@")
	# Under TCG on a loaded host the guest kernel now and then locks up while it
	# boots (both vCPUs in soft lockups for minutes, seen in modprobe and mkdir),
	# and would sit there until the timeout. Before the command has started
	# nothing has happened yet, so a boot with a soft lockup of 100 s or more (a
	# slow boot's short stalls are let be) is thrown away and made again, twice
	# at most.
	local attempt=1
	while :; do
		: >"$vm_tmp/out" && : >"$vm_tmp/console.log" && rm -f "$vm_tmp/stalled"
		t0=$(date +%s%N)
		timeout -k 5 "$timeout" "${qemu[@]}" </dev/null >/dev/null 2>"$vm_tmp/qemu.err" &
		vm_qpid=$!
		tail -s 0.1 --pid=$vm_qpid -c +1 -f "$vm_tmp/out" & # stream the command's output
		vm_tpid=$!
		(while kill -0 $vm_qpid 2>/dev/null; do
			grep -aq VM_CMD_START "$vm_tmp/console.log" 2>/dev/null && exit 0
			if grep -aqE 'soft lockup - CPU#[0-9]+ stuck for [0-9]{3,}s' "$vm_tmp/console.log" 2>/dev/null; then
				: >"$vm_tmp/stalled" && kill $vm_qpid 2>/dev/null
				exit 0
			fi
			sleep 0.5
		done) &
		local spid=$!
		if [ "$verbose" = 1 ]; then # the host's clock at the command's start (the guest's runs slow under TCG on a busy host)
			(until grep -aq VM_CMD_START "$vm_tmp/console.log" 2>/dev/null; do sleep 0.05; done
				date +%s%N >"$vm_tmp/t_cmd") &
			vm_wpid=$!
		fi
		qrc=0 && wait $vm_qpid || qrc=$?
		vm_qpid=''
		wait $vm_tpid || true
		vm_tpid=''
		wait $spid 2>/dev/null || true
		[ -e "$vm_tmp/stalled" ] && [ $attempt -lt 3 ] || break
		vm_say "the guest kernel stalled while it booted, before the command started (attempt $attempt); booting again"
		tail -n 5 "$vm_tmp/console.log" >&2
		[ -z "$vm_wpid" ] || { kill $vm_wpid 2>/dev/null; wait $vm_wpid 2>/dev/null || true; vm_wpid=''; }
		attempt=$((attempt + 1))
	done
	t1=$(date +%s%N)

	st=$(grep -ao 'VM_EXIT_STATUS=[0-9]*' "$vm_tmp/console.log" | tail -1 | cut -d= -f2) || true
	if [ "$verbose" = 1 ]; then
		cat "$vm_tmp/qemu.err" "$vm_tmp/console.log" >&2
		mapfile -t up < <(sed -n 's/.*vm: VM_[A-Z_]*[=0-9]* uptime=\([0-9.]*\).*/\1/p' "$vm_tmp/console.log")
		kill $vm_wpid 2>/dev/null && wait $vm_wpid 2>/dev/null || true
		vm_wpid=''
		vm_say "guest uptime at command start ${up[0]:-?}s, at its end ${up[1]:-?}s;" \
			"host clock: command started $([ -s "$vm_tmp/t_cmd" ] && echo $((($(cat "$vm_tmp/t_cmd") - t0) / 1000000)) || echo ?) ms" \
			"after qemu did, qemu ran $(((t1 - t0) / 1000000)) ms"
	fi
	if [ $qrc = 124 ] && [ -z "$st" ]; then
		vm_say "timed out after ${timeout}s; last console lines:"
		tail -n 40 "$vm_tmp/console.log" >&2
		st=124
	elif [ -z "$st" ] || grep -aq 'vm: VM_FAILED' "$vm_tmp/console.log"; then
		vm_say "VM failed (qemu exit $qrc); last console lines:"
		cat "$vm_tmp/qemu.err" >&2 && tail -n 40 "$vm_tmp/console.log" >&2
		st=125
	fi
	exit "$st"
}
