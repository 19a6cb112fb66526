#!/usr/bin/env bats
# --debug (issue 14, item 9): debug records from every stage, in the format and to the
# place the global flags say: the runtime itself, its init, and the C stage that runs
# before the Go runtime (berth: "nsenter[PID]: ...", runc: "nsexec[PID]: ...").

load helpers

setup() {
	setup_berth
	make_bundle
	set_cmd 'echo out-of-the-container'
}
teardown() { teardown_berth; }

# C_STAGE: what a record of the C stage starts with, in either runtime.
C_STAGE='(nsenter|nsexec(-[0-9])?)\[[0-9]+\]: '

@test "--debug, text to stderr: records of the runtime, its init and the C stage; stdout is the container's alone" {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --debug --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "status=$status"
	echo "$stderr" | head -40
	[ "$status" -eq 0 ]
	[ "$output" = out-of-the-container ]
	# every line is a logfmt record; many are debug ones
	[ "$(grep -c '^time=.* level=debug msg=' <<<"$stderr")" -ge 10 ]
	grep -Eq "level=debug msg=\"$C_STAGE" <<<"$stderr"
	# init's own records: runc's Go init, or the steps of berth's create plan, which the
	# C stage runs as init (issue 17)
	grep -Eq 'level=debug msg="(init: |child process in init|nsenter\[1\]: create plan: step)' <<<"$stderr"
}

@test "--debug --log FILE --log-format json: one JSON record a line, with the C stage and init among them" {
	local log=$BATS_TEST_TMPDIR/debug.json
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --debug --log "$log" --log-format json --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "$output" = out-of-the-container ]
	[ -z "$stderr" ]
	# each line parses, with level, msg and time
	jq -e -s 'length >= 10 and all(.[]; has("level") and has("msg") and has("time"))' "$log"
	jq -e -s --arg re "^$C_STAGE" 'any(.[]; .level == "debug" and (.msg | test($re)))' "$log"
	jq -e -s 'any(.[]; .level == "debug" and (.msg | test("^(init: |child process in init|nsenter\\[1\\]: create plan: step)")))' "$log"
}

@test "without --debug: no debug records" {
	local log=$BATS_TEST_TMPDIR/quiet.json
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --log "$log" --log-format json --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "$output" = out-of-the-container ]
	! grep -q '"level":"debug"' "$log" 2>/dev/null
}

@test "--debug on a failed create: init's records come first, the error record last (containerd reads the last one)" {
	update_config '.process.args = ["/no/such/program"]'
	local log=$BATS_TEST_TMPDIR/fail.json
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --debug --log "$log" --log-format json --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -ne 0 ]
	jq -e -s --arg re "^$C_STAGE" 'any(.[]; .level == "debug" and (.msg | test($re)))' "$log"
	jq -e -s '(map(select(.level == "error")) | length >= 1) and (last.level == "error")
		and (last.msg | test("/no/such/program"))' "$log"
	assert_nothing_left
}

@test "exec --debug: the C stage and init of the exec'd process write records too" {
	set_cmd 'sleep 300'
	run_detached "$ID"
	local log=$BATS_TEST_TMPDIR/exec.json
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --debug --log "$log" --log-format json --root "$ROOT" exec "$ID" echo from-exec </dev/null 3>&-
	[ "$status" -eq 0 ]
	[ "$output" = from-exec ]
	jq -e -s --arg re "^$C_STAGE" 'any(.[]; .level == "debug" and (.msg | test($re)))' "$log"
}
