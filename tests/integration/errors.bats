#!/usr/bin/env bats
# Failure paths of create/run: each exits non-zero, says what is wrong on stderr, and
# leaves nothing behind (no state in --root, no process, no mount).

load helpers

setup() {
	setup_berth
	make_bundle
	set_cmd 'echo ran; exec sleep 100'
}
teardown() { teardown_berth; }

# create_fails ID: create must fail; sets $status/$stderr; the container got no output.
create_fails() {
	run ! create_container "$1"
	stderr=$output
	echo "stderr: $stderr"
	[ -n "$stderr" ]
	[ ! -s "$(cout "$1")" ]
	assert_nothing_left
}

@test "errors: malformed config.json (syntax)" {
	printf '{ "ociVersion": "1.0.2", "process": { "args": ["sh"], }' >"$BUNDLE/config.json"
	create_fails "$ID"
	[[ "$stderr" =~ config\.json|JSON|json|invalid\ character|unexpected\ EOF|parse ]]
}

@test "errors: malformed config.json (wrong type)" {
	update_config '.process.args = "sh -c true"'
	create_fails "$ID"
	[[ "$stderr" =~ config\.json|json|unmarshal|args ]]
}

@test "errors: missing config.json" {
	rm "$BUNDLE/config.json"
	create_fails "$ID"
	[[ "$stderr" == *config.json* ]]
	[[ "$stderr" =~ "no such file or directory"|"not found"|"does not exist" ]]
}

@test "errors: missing rootfs" {
	rm -rf "$BUNDLE/rootfs"
	create_fails "$ID"
	[[ "$stderr" == *rootfs* ]]
	[[ "$stderr" == *"no such file or directory"* ]]
}

@test "errors: run with a missing rootfs fails the same way" {
	rm -rf "$BUNDLE/rootfs"
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"no such file or directory"* ]]
	[ -z "$output" ]
	assert_nothing_left
}

@test "errors: missing process" {
	update_config 'del(.process)'
	create_fails "$ID"
	[[ "$stderr" == *process* ]]
}

@test "errors: empty process.args" {
	update_config '.process.args = []'
	create_fails "$ID"
	[[ "$stderr" == *args* ]]
}

@test "errors: executable not found (words Podman maps to 127)" {
	update_config '.process.args = ["no-such-program"]'
	create_fails "$ID"
	[[ "$stderr" == *no-such-program* ]]
	[[ "$stderr" == *"executable file not found in \$PATH"* ]]
}

@test "errors: absolute executable path that does not exist" {
	update_config '.process.args = ["/no/such/program"]'
	create_fails "$ID"
	[[ "$stderr" == */no/such/program* ]]
	[[ "$stderr" == *"no such file or directory"* ]]
}

@test "errors: executable without exec permission (words Podman maps to 126)" {
	update_config '.process.args = ["/etc/passwd"]'
	create_fails "$ID"
	[[ "$stderr" == */etc/passwd* ]]
	[[ "$stderr" == *"permission denied"* ]]
}

@test "errors: duplicate ID is refused with 'already exists'; the first is unharmed" {
	create_container "$ID"
	local pid
	pid=$(pid_of "$ID")
	make_bundle "$BATS_TEST_TMPDIR/bundle2"
	set_cmd 'echo second > /dev/null; exec sleep 100'
	run ! create_container "$ID"
	[[ "$output" == *"already exists"* ]]
	# the first container is untouched
	[ "$(status_of "$ID")" = created ]
	[ "$(pid_of "$ID")" = "$pid" ]
	pid_alive "$pid"
	state_of "$ID" | jq -e --arg b "$BATS_TEST_TMPDIR/bundle" '.bundle == $b'
	# and `run` with the same ID is refused the same way
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"already exists"* ]]
	[ "$(status_of "$ID")" = created ]
	# still exactly one container
	[ "$(berth list -q)" = "$ID" ]
}

@test "errors: duplicate ID of a stopped container is refused too" {
	set_cmd 'true'
	create_container "$ID"
	berth start "$ID"
	wait_for_status "$ID" stopped
	run ! create_container "$ID"
	[[ "$output" == *"already exists"* ]]
	[ "$(status_of "$ID")" = stopped ]
}

# invalid_id ID: create with this ID fails, and nothing appears anywhere near the root.
invalid_id() {
	local before
	before=$(ls -A "$BATS_TEST_TMPDIR" | grep -v '^separate-stderr-')
	run --separate-stderr "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" \
		--pid-file "$BATS_TEST_TMPDIR/inv.pid" "$1" </dev/null 3>&-
	echo "status=$status stderr=$stderr"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[ -z "$output" ]
	[ ! -e "$BATS_TEST_TMPDIR/inv.pid" ]
	assert_nothing_left
	# nothing written outside the root either
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -v '^separate-stderr-')" = "$before" ]
}

@test "errors: invalid ID '../x' (path traversal)" {
	invalid_id "../x"
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "errors: invalid ID 'a/b'" {
	invalid_id "a/b"
	[ ! -e "$ROOT/a" ]
}

@test "errors: invalid ID '..' and '.'" {
	invalid_id ".."
	invalid_id "."
}

@test "errors: empty ID" {
	invalid_id ""
}

@test "errors: 1024-character ID" {
	invalid_id "$(printf 'a%.0s' $(seq 1024))"
}

@test "errors: nonexistent bundle directory" {
	run --separate-stderr berth create --bundle "$BATS_TEST_TMPDIR/no-bundle" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"no such file or directory"* ]]
	assert_nothing_left
}

@test "errors: unknown command and unknown flag fail with usage errors" {
	run --separate-stderr berth no-such-command
	[ "$status" -ne 0 ]
	run --separate-stderr berth create --no-such-flag "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr$output" == *no-such-flag* ]]
	assert_nothing_left
}

@test "errors: a container whose mount fails leaves nothing behind" {
	update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/no/such/source", "options": ["bind"]}]'
	create_fails "$ID"
	[[ "$stderr" == */no/such/source* ]]
	[[ "$stderr" == *"no such file or directory"* ]]
}

@test "errors: --log FILE --log-format json ends with an error record" {
	rm -rf "$BUNDLE/rootfs"
	run --separate-stderr berth --log "$BATS_TEST_TMPDIR/log.json" --log-format json \
		create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	cat "$BATS_TEST_TMPDIR/log.json"
	# containerd reads the last "level":"error" record
	local last
	last=$(grep -v '^$' "$BATS_TEST_TMPDIR/log.json" | tail -1)
	jq -e '.level == "error" and (.msg | type == "string" and length > 0) and (.time | type == "string")' <<<"$last"
	jq -e '.msg | test("no such file or directory")' <<<"$last"
	# every line is a JSON object
	grep -v '^$' "$BATS_TEST_TMPDIR/log.json" | jq -e 'type == "object"' >/dev/null
	assert_nothing_left
}

@test "errors: --log-format json for an unknown container" {
	run --separate-stderr berth --log "$BATS_TEST_TMPDIR/log.json" --log-format json state "$ID-nope"
	[ "$status" -ne 0 ]
	tail -1 "$BATS_TEST_TMPDIR/log.json" | jq -e '.level == "error" and (.msg | test("does not exist"))'
}
