#!/usr/bin/env bats
# Mount points whose names the kernel escapes in /proc/self/mountinfo (\040 for a
# space, \011 tab, \012 newline, \134 backslash), read back by berth's one parser
# (internal/mountinfo), also when the escape ends the field.

load helpers

setup() {
	setup_berth
	make_bundle
	# outside the test's directory, whose mounts the leftover checks look for
	SRC=$BATS_RUN_TMPDIR/mi-src-$BATS_TEST_NUMBER
	mkdir -p "$SRC" "$BUNDLE/rootfs/mnt/a"
	defer rm -rf "$SRC"
}
teardown() { teardown_berth; }

# The error of an id-mapped rbind names the submounts the kernel refuses, from the
# mount table: a name ending in a space (\040 at the end of the field) or a
# backslash (\134) comes out as the name itself.
@test "mountinfo: a submount whose name ends in an escape is named as it is" {
	local v
	v=$(uname -r | grep -oE '^[0-9]+\.[0-9]+')
	[ "$(printf '6.3\n%s\n' "$v" | sort -V | head -1)" = 6.3 ] || skip "kernel $v cannot id-map tmpfs (needs 6.3)"
	host_mount -t tmpfs -o mode=0755 tmpfs "$SRC"
	mkdir "$SRC/proc " "$SRC/back\\"
	host_mount -t proc proc "$SRC/proc "
	host_mount -t proc proc "$SRC/back\\"
	grep -qF "$SRC/proc\\040 " /proc/self/mountinfo
	update_config --arg s "$SRC" '.mounts += [{"destination": "/mnt/a", "type": "bind", "source": $s,
		"options": ["rbind", "ridmap"],
		"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
		"gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}]'
	run_fg "$ID"
	[ "$status" -ne 0 ]
	if ! is_runc; then
		[[ "$stderr" == *"$SRC/proc  (filesystem proc)"* ]]
		[[ "$stderr" == *"$SRC/back\\ (filesystem proc)"* ]]
		[[ "$stderr" != *'\040'* && "$stderr" != *'\134'* ]]
	fi
	assert_nothing_left
}

