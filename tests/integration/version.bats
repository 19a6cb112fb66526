#!/usr/bin/env bats
# --version: the format Docker and containerd parse (docs/integration.md,
# "What clients read").

load helpers

setup() { setup_berth; }
teardown() { teardown_berth; }

@test "version: first line is '<name> version X.Y.Z'" {
	run --separate-stderr "$BERTH" --version
	[ "$status" -eq 0 ]
	local first name
	first=$(head -1 <<<"$output")
	# Docker splits "NAME version X" on spaces.
	[[ "$first" =~ ^[a-z][a-z0-9_-]*\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || {
		echo "bad first line: $first" >&2
		false
	}
	name=${first%% *}
	if ! is_runc; then
		[ "$name" = berth ]
	fi
}

@test "version: has a commit: line and a spec: 1.x line" {
	run --separate-stderr "$BERTH" --version
	[ "$status" -eq 0 ]
	grep -qE '^commit: ?[^ ]' <<<"$output"
	grep -qE '^spec: 1\.[0-9]+' <<<"$output"
	# it is a query: nothing on stderr, no state created
	[ -z "$stderr" ]
}

@test "version: --version after global flags" {
	run --separate-stderr "$BERTH" --root "$ROOT" --version
	[ "$status" -eq 0 ]
	[[ "$(head -1 <<<"$output")" == *" version "* ]]
}
