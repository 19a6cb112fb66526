#!/usr/bin/env bats
# /proc and /sys after start, with the protections of the default config (`spec`): the
# masked paths stay masked, the read-only ones refuse writes, and the container's root
# (default capabilities) cannot undo either. Checked in the container's process and in
# an exec'd one: both live in the mount namespace these protections were made in.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	# the container's probes, written to the rootfs
	cat >"$BUNDLE/rootfs/masked.sh" <<'SH'
#!/bin/sh
# for each masked path: "PATH file SIZE TYPE" or "PATH dir ENTRIES"
for p in "$@"; do
	if [ -d "$p" ]; then
		echo "$p dir $(ls -A "$p" | wc -l)"
	elif [ -e "$p" ]; then
		echo "$p file $(wc -c < "$p") $(stat -c %t:%T "$p")"
	fi
done
SH
	cat >"$BUNDLE/rootfs/writes.sh" <<'SH'
#!/bin/sh
# for each path: opened for writing (no byte is written, so that a failure of the
# protection changes nothing), "PATH writable" or "PATH refused: ERROR"
for p in "$@"; do
	[ -e "$p" ] || continue
	if err=$( { : > "$p"; } 2>&1 ); then echo "$p writable"; else echo "$p refused: ${err##*: }"; fi
done
SH
	chmod 755 "$BUNDLE/rootfs/masked.sh" "$BUNDLE/rootfs/writes.sh"
}
teardown() { teardown_berth; }

# Files whose write would hurt the host (none is actually written).
WRITE_TARGETS="/proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /proc/sys/vm/drop_caches
/proc/sys/kernel/sysrq /proc/sysrq-trigger /proc/irq/default_smp_affinity /proc/sys/fs/binfmt_misc/register
/sys/kernel/uevent_helper /sys/power/state /sys/kernel/mm/transparent_hugepage/enabled
/sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/memory/memory.limit_in_bytes"

# check_masked OUTPUT: every masked path of config.json that the container has is empty:
# a file reads 0 bytes and is the null device, a directory lists nothing.
check_masked() {
	local line p kind rest n=0
	while read -r p kind rest; do
		[ -n "$p" ] || continue
		n=$((n + 1))
		case $kind in
		file) [ "$rest" = "0 1:3" ] || { echo "NOT MASKED: $p $rest"; return 1; } ;;
		dir) [ "$rest" = 0 ] || { echo "NOT MASKED: $p $rest entries"; return 1; } ;;
		*) echo "unexpected: $p $kind $rest"; return 1 ;;
		esac
	done <<<"$1"
	# at least the files this kernel has (/proc/timer_list, /proc/keys, ...) were seen
	[ "$n" -ge 3 ]
}

# check_refused OUTPUT: every path was refused, read-only.
check_refused() {
	echo "$1"
	[ -n "$1" ]
	! grep -v 'refused: Read-only file system$' <<<"$1" || false
}

@test "masked paths of the default config read empty, in the container's process and in exec" {
	local masked
	masked=$(jq -r '.linux.maskedPaths | join(" ")' "$BUNDLE/config.json")
	# the host has something there to hide
	[ -s /proc/timer_list ] || [ -s /proc/keys ] || [ "$(ls -A /sys/firmware | wc -l)" -gt 0 ]
	update_config --arg m "$masked" '.process.args = ["sh", "-c", "/masked.sh " + $m + " > /host/masked; exec sleep 100"]'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/masked"
	cat "$HOSTDIR/masked"
	check_masked "$(cat "$HOSTDIR/masked")"
	# shellcheck disable=SC2086
	run --separate-stderr berth exec "$ID" /masked.sh $masked </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	check_masked "$output"
}

@test "/proc/sys, /proc/sysrq-trigger, /proc/irq and /sys refuse writes, in the container's process and in exec" {
	local pattern
	pattern=$(cat /proc/sys/kernel/core_pattern)
	# shellcheck disable=SC2086
	update_config --arg t "$(echo $WRITE_TARGETS)" '.process.args = ["sh", "-c", "/writes.sh " + $t + " > /host/writes; exec sleep 100"]'
	run_detached "$ID"
	wait_for_file "$HOSTDIR/writes"
	check_refused "$(cat "$HOSTDIR/writes")"
	# at least core_pattern, sysrq-trigger (where the kernel has it) and /sys were tried
	grep -q '^/proc/sys/kernel/core_pattern ' "$HOSTDIR/writes"
	[ ! -e /proc/sysrq-trigger ] || grep -q '^/proc/sysrq-trigger ' "$HOSTDIR/writes"
	grep -q '^/sys/' "$HOSTDIR/writes"
	# shellcheck disable=SC2086
	run --separate-stderr berth exec "$ID" /writes.sh $WRITE_TARGETS </dev/null
	[ "$status" -eq 0 ]
	check_refused "$output"
	# the same, with a real write of the host's own value (harmless if it got through)
	run --separate-stderr berth exec "$ID" sh -c "echo '$pattern' > /proc/sys/kernel/core_pattern"
	echo "$status $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$pattern" ]
}

@test "the container's root cannot undo the masks: umount, remount read-write, a fresh proc or sysfs all fail" {
	local f
	for f in /proc/timer_list /proc/keys /proc/kcore; do
		[ -e "$f" ] && break
	done
	set_cmd "mkdir -p /dev/shm/p /dev/shm/s
		umount $f 2>&1; echo \"umount=\$?\"
		umount -l /proc/sys 2>&1; echo \"umount-sys=\$?\"
		mount -o remount,rw /proc/sys 2>&1; echo \"remount=\$?\"
		mount -o remount,rw /sys 2>&1; echo \"remount-sys=\$?\"
		mount -t proc proc /dev/shm/p 2>&1; echo \"proc=\$?\"
		mount -t sysfs sysfs /dev/shm/s 2>&1; echo \"sysfs=\$?\"
		/masked.sh $f; /writes.sh /proc/sys/kernel/core_pattern"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	local r
	for r in umount umount-sys remount remount-sys proc sysfs; do
		grep -qx "$r=[1-9][0-9]*" <<<"$output"
	done
	# still masked, still read-only
	grep -qx "$f file 0 1:3" <<<"$output"
	grep -qx "/proc/sys/kernel/core_pattern refused: Read-only file system" <<<"$output"
}
