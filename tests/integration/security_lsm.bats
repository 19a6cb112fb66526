#!/usr/bin/env bats
# Linux security modules: process.apparmorProfile, process.selinuxLabel and
# linux.mountLabel are applied where the host runs the module, and are a clear error
# naming the field where it does not (never silently ignored: a container asked to be
# confined must not run unconfined).

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

apparmor_enabled() {
	grep -q '^Y' /sys/module/apparmor/parameters/enabled 2>/dev/null
}

selinux_enabled() {
	[ -e /sys/fs/selinux/enforce ]
}

@test "process.apparmorProfile: applied where the host runs AppArmor" {
	apparmor_enabled || skip "this host does not run AppArmor"
	# the one profile every AppArmor host has
	update_config '.process.apparmorProfile = "unconfined"'
	set_cmd 'cat /proc/self/attr/current'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == unconfined* ]]
}

@test "process.selinuxLabel and linux.mountLabel: applied where the host runs SELinux" {
	selinux_enabled || skip "this host does not run SELinux"
	local label
	label=$(tr -d '\0' </proc/self/attr/current)
	update_config --arg l "$label" '.process.selinuxLabel = $l | .linux.mountLabel = $l'
	set_cmd 'tr -d "\0" < /proc/self/attr/current; echo; stat -c %C /dev/shm'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$label" ]
}

@test "LSM settings for a module the host does not run: an error naming the field, nothing left" {
	skip_if_runc "1.1.5 fails, but with errors that do not name the field (\"write /proc/self/attr/exec: invalid argument\")"
	local n=0
	set_cmd 'true'
	if ! apparmor_enabled; then
		update_config '.process.apparmorProfile = "berth-test-profile"'
		run_fg "$ID-aa"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *process.apparmorProfile* ]]
		[[ "$stderr" == *AppArmor* ]]
		assert_nothing_left
		update_config 'del(.process.apparmorProfile)'
		n=$((n + 1))
	fi
	if ! selinux_enabled; then
		update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
		run_fg "$ID-se"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *process.selinuxLabel* ]]
		assert_nothing_left
		update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
		run_fg "$ID-ml"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *linux.mountLabel* ]]
		assert_nothing_left
		n=$((n + 1))
	fi
	[ "$n" -gt 0 ] || skip "this host runs both AppArmor and SELinux"
}
