#!/usr/bin/env bats
# spec: writes a default config.json.

load helpers

setup() { setup_berth; }
teardown() { teardown_berth; }

# A default config must be a usable runtime-spec document.
check_default_config() {
	local cfg=$1
	jq -e . "$cfg" >/dev/null
	jq -e '.ociVersion | test("^1\\.")' "$cfg"
	jq -e '.root.path == "rootfs"' "$cfg"
	jq -e '.process.args | length > 0' "$cfg"
	jq -e '.process.cwd == "/"' "$cfg"
	jq -e '.process.user.uid == 0 and .process.user.gid == 0' "$cfg"
	jq -e '[.linux.namespaces[].type] | (index("pid") != null) and (index("mount") != null)' "$cfg"
	jq -e '[.mounts[].destination] | (index("/proc") != null) and (index("/dev") != null)' "$cfg"
}

@test "spec: writes config.json in the current directory" {
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	run --separate-stderr berth spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	check_default_config config.json
	# and it is a runnable bundle once a rootfs is there
	cp -a "$(rootfs_cache)" rootfs
	BUNDLE=$PWD
	update_config '.process.terminal = false | .process.args = ["echo", "spec-ok"]'
	run berth run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = spec-ok ]
}

@test "spec --bundle: writes into the bundle directory, not the cwd" {
	mkdir "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	run --separate-stderr berth spec --bundle "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	[ -f "$BATS_TEST_TMPDIR/b/config.json" ]
	[ ! -e "$BATS_TEST_TMPDIR/cwd/config.json" ]
	check_default_config "$BATS_TEST_TMPDIR/b/config.json"
}

@test "spec --rootless: user namespace with uid and gid mappings" {
	mkdir "$BATS_TEST_TMPDIR/b"
	run --separate-stderr berth spec --rootless --bundle "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	local cfg=$BATS_TEST_TMPDIR/b/config.json
	check_default_config "$cfg"
	jq -e '[.linux.namespaces[].type] | index("user") != null' "$cfg"
	jq -e '.linux.uidMappings | length >= 1' "$cfg"
	jq -e '.linux.gidMappings | length >= 1' "$cfg"
	jq -e '.linux.uidMappings[0] | has("containerID") and has("hostID") and .size >= 1' "$cfg"
	jq -e '.linux.gidMappings[0] | has("containerID") and has("hostID") and .size >= 1' "$cfg"
	# and it runs: the container sees the configured mapping in /proc/self/uid_map
	cp -a "$(rootfs_cache)" "$BATS_TEST_TMPDIR/b/rootfs"
	BUNDLE=$BATS_TEST_TMPDIR/b
	update_config '.process.terminal = false | .process.args = ["cat", "/proc/self/uid_map", "/proc/self/gid_map"]'
	run berth run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ]
	local want
	want=$(jq -r '(.linux.uidMappings + .linux.gidMappings)[] | "\(.containerID) \(.hostID) \(.size)"' "$cfg")
	[ "$(awk '{print $1, $2, $3}' <<<"$output")" = "$want" ]
}

@test "spec: refuses to overwrite an existing config.json" {
	mkdir "$BATS_TEST_TMPDIR/b"
	echo '{"keep": "me"}' >"$BATS_TEST_TMPDIR/b/config.json"
	run --separate-stderr berth spec --bundle "$BATS_TEST_TMPDIR/b"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *config.json* ]]
	[[ "$stderr" == *exists* ]]
	[ "$(jq -r .keep "$BATS_TEST_TMPDIR/b/config.json")" = me ]
}
