#!/usr/bin/env bats
# list: table, --format json, -q.

load helpers

setup() {
	setup_berth
	make_bundle
	set_cmd 'exec sleep 100'
}
teardown() { teardown_berth; }

# two containers: $ID-c created, $ID-r running
two_containers() {
	create_container "$ID-c"
	run_detached "$ID-r"
}

@test "list: table with a header and one row per container" {
	two_containers
	run --separate-stderr berth list
	[ "$status" -eq 0 ]
	local header
	header=$(head -1 <<<"$output")
	read -r -a cols <<<"$header"
	[ "${cols[0]}" = ID ]
	[ "${cols[1]}" = PID ]
	[ "${cols[2]}" = STATUS ]
	[ "${cols[3]}" = BUNDLE ]
	[ "${cols[4]}" = CREATED ]
	[ "$(wc -l <<<"$output")" -eq 3 ]
	local row
	row=$(grep "^$ID-c " <<<"$output")
	read -r -a f <<<"$row"
	[ "${f[1]}" = "$(pid_of "$ID-c")" ]
	[ "${f[2]}" = created ]
	[ "${f[3]}" = "$BUNDLE" ]
	row=$(grep "^$ID-r " <<<"$output")
	read -r -a f <<<"$row"
	[ "${f[1]}" = "$(pid_of "$ID-r")" ]
	[ "${f[2]}" = running ]
}

@test "list --format json: an array of states with id and status" {
	two_containers
	run --separate-stderr berth list --format json
	[ "$status" -eq 0 ]
	jq -e 'type == "array" and length == 2' <<<"$output"
	jq -e --arg id "$ID-c" --arg b "$BUNDLE" \
		'.[] | select(.id == $id) | .status == "created" and .bundle == $b and .pid > 0' <<<"$output"
	jq -e --arg id "$ID-r" --arg pid "$(pid_of "$ID-r")" \
		'.[] | select(.id == $id) | .status == "running" and (.pid | tostring) == $pid' <<<"$output"
	# a stopped one
	berth kill "$ID-r" KILL
	wait_for_status "$ID-r" stopped
	run --separate-stderr berth list --format json
	jq -e --arg id "$ID-r" '.[] | select(.id == $id) | .status == "stopped"' <<<"$output"
}

@test "list -f json: short flag" {
	create_container "$ID-c"
	run --separate-stderr berth list -f json
	[ "$status" -eq 0 ]
	jq -e --arg id "$ID-c" 'length == 1 and .[0].id == $id' <<<"$output"
}

@test "list -q: only the ids, one a line" {
	two_containers
	run --separate-stderr berth list -q
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$ID-c" "$ID-r" | sort)" ]
}

@test "list: empty root gives only the header, an empty json list, no ids" {
	run --separate-stderr berth list
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	[[ "$output" == ID* ]]
	run --separate-stderr berth list --format json
	[ "$status" -eq 0 ]
	# runc prints null for no containers; an empty array is as good
	jq -e '(. // []) | type == "array" and length == 0' <<<"$output"
	run --separate-stderr berth list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "list: containers in another --root are not listed" {
	create_container "$ID-c"
	mkdir "$BATS_TEST_TMPDIR/other-root"
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/other-root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
