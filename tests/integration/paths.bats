#!/usr/bin/env bats
# linux.maskedPaths and linux.readonlyPaths.

load helpers

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

# a non-empty /proc file that exists on this kernel (kcore needs CONFIG_PROC_KCORE)
proc_file_to_mask() {
	local f
	for f in /proc/kcore /proc/timer_list /proc/keys; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	skip "no /proc/kcore, /proc/timer_list or /proc/keys on this kernel"
}

@test "maskedPaths: a masked /proc file reads empty (/proc/kcore or similar)" {
	local f
	f=$(proc_file_to_mask)
	update_config --arg f "$f" '.linux.maskedPaths = [$f]'
	set_cmd "wc -c < $f; stat -L -c '%F %t:%T' $f; echo x 2>/dev/null > $f; echo \"write-rc=\$?\""
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	# the usual way: /dev/null bound over it
	[ "${lines[1]}" = "character special file 1:3" ]
	[ "${lines[2]}" != write-rc=0 ] || true
	# nothing is mounted over the host's file
	! grep -q " $f " /proc/self/mountinfo || false
}

@test "maskedPaths: a masked rootfs file reads empty; the file itself is kept" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config '.linux.maskedPaths = ["/etc/secret"]'
	set_cmd 'wc -c < /etc/secret; cat /etc/secret'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	[ "$(cat "$BUNDLE/rootfs/etc/secret")" = secret ]
}

@test "maskedPaths: a masked directory is empty and cannot be written" {
	mkdir -p "$BUNDLE/rootfs/secret"
	echo hidden >"$BUNDLE/rootfs/secret/file"
	update_config '.linux.maskedPaths = ["/secret", "/proc/acpi"]'
	set_cmd 'ls -A /secret | wc -l; cat /secret/file 2>/dev/null || echo no-file; touch /secret/new 2>/dev/null; echo "touch-rc=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = no-file ]
	[ "${lines[2]}" != touch-rc=0 ]
	# the rootfs itself still has the file
	[ "$(cat "$BUNDLE/rootfs/secret/file")" = hidden ]
	[ ! -e "$BUNDLE/rootfs/secret/new" ]
}

@test "maskedPaths: a path that does not exist is ignored" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config '.linux.maskedPaths = ["/no/such/path", "/etc/secret"]'
	set_cmd 'wc -c < /etc/secret; [ -e /no/such/path ] && echo created || echo absent'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = absent ]
}

@test "maskedPaths: the container's other /proc files are readable" {
	local f
	f=$(proc_file_to_mask)
	update_config --arg f "$f" '.linux.maskedPaths = [$f]'
	set_cmd "head -1 /proc/meminfo | cut -d: -f1; wc -c < $f"
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = MemTotal ]
	[ "${lines[1]}" = 0 ]
}

@test "readonlyPaths: /proc/sys cannot be written" {
	update_config '.linux.readonlyPaths = ["/proc/sys"]'
	update_config '.linux.namespaces |= (map(select(.type != "uts")) + [{"type": "uts"}])'
	add_caps CAP_SYS_ADMIN
	set_cmd 'echo berth 2>&1 > /proc/sys/kernel/hostname; echo "rc=$?"; awk "\$5 == \"/proc/sys\" {print \$6}" /proc/self/mountinfo'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output$stderr" == *"Read-only file system"* ]]
	[ "${lines[-2]}" = rc=1 ]
	[[ ",${lines[-1]}," == *,ro,* ]]
}

@test "readonlyPaths: a directory of the rootfs becomes read-only, the rest stays writable" {
	mkdir -p "$BUNDLE/rootfs/ro-dir" "$BUNDLE/rootfs/rw-dir"
	update_config '.linux.readonlyPaths = ["/ro-dir"]'
	set_cmd 'touch /ro-dir/x 2>&1; echo "ro=$?"; touch /rw-dir/y; echo "rw=$?"'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output$stderr" == *"Read-only file system"* ]]
	[ "${lines[-2]}" = ro=1 ]
	[ "${lines[-1]}" = rw=0 ]
	[ ! -e "$BUNDLE/rootfs/ro-dir/x" ]
	[ -e "$BUNDLE/rootfs/rw-dir/y" ]
	# and the host's view of the directory is still writable
	touch "$BUNDLE/rootfs/ro-dir/host"
}

@test "readonlyPaths: a path that does not exist is ignored" {
	update_config '.linux.readonlyPaths = ["/no/such/path"]'
	set_cmd 'echo ok'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}
