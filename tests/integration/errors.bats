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
	before=$(find "$BATS_TEST_TMPDIR" -mindepth 1 -maxdepth 1 ! -name 'separate-stderr-*' -printf '%f\n' | sort)
	run --separate-stderr "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" \
		--pid-file "$BATS_TEST_TMPDIR/inv.pid" "$1" </dev/null 3>&-
	echo "status=$status stderr=$stderr"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[ -z "$output" ]
	[ ! -e "$BATS_TEST_TMPDIR/inv.pid" ]
	assert_nothing_left
	# nothing written outside the root either
	[ "$(find "$BATS_TEST_TMPDIR" -mindepth 1 -maxdepth 1 ! -name 'separate-stderr-*' -printf '%f\n' | sort)" = "$before" ]
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

# --- the bad-input corpus (tables): every case fails, names what is wrong, leaves nothing

# bad_case DESCRIPTION WANT... : the last `run` (create or another command) failed, its
# stderr has every WANT (fixed strings), nothing is left behind. A case that does not
# hold is counted in $BAD (the table goes on, so that one run shows every broken case).
bad_case() {
	local what=$1 w ok=1
	shift
	if [ "$status" -eq 0 ]; then
		echo "$what: succeeded" >&2
		ok=0
	fi
	for w in "$@"; do
		if [[ "$stderr$output" != *"$w"* ]]; then
			echo "$what: error does not say '$w': $stderr$output" >&2
			ok=0
		fi
	done
	# ($KEEP: a container of the test's own that stays; $QUICK: checked by the caller)
	if [ -n "${QUICK:-}" ]; then
		:
	elif [ -n "${KEEP:-}" ]; then
		if [ "$(ls -A "$ROOT")" != "$KEEP" ]; then
			echo "$what: left state: $(ls -A "$ROOT")" >&2
			ok=0
		fi
	elif ! assert_nothing_left; then
		echo "$what: left something behind" >&2
		ok=0
		berth delete --force "$ID" >/dev/null 2>&1 || true
	fi
	[ "$ok" = 1 ] || BAD=$((BAD + 1))
	return 0
}

# bad_config DESCRIPTION JQ WANT...: config.json edited by JQ (from the good one); create
# must fail saying WANT.
bad_config() {
	local what=$1 expr=$2
	shift 2
	jq "$expr" "$BATS_TEST_TMPDIR/good.json" >"$BUNDLE/config.json"
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" \
		create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/bad.pid" "$ID" </dev/null 3>&-
	[ ! -e "$BATS_TEST_TMPDIR/bad.pid" ] || status=0
	bad_case "$what" "$@"
}

@test "errors: broken config.json fields (table): each fails naming the field" {
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/good.json"
	BAD=0
	# wrong types and values out of range, caught while reading the file
	bad_config "hostname a number" '.hostname = 42' config.json 'field hostname'
	bad_config "mounts an object" '.mounts = {}' 'field mounts'
	bad_config "uid a string" '.process.user.uid = "root"' 'field process.user.uid'
	bad_config "negative uid" '.process.user.uid = -1' 'process.user.uid' '-1'
	bad_config "negative additional gid" '.process.user.additionalGids = [-1]' 'process.user.additionalGids'
	bad_config "rlimit above 2^64" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1e30, "hard": 1e30}]' 'process.rlimits.soft'
	# missing and malformed parts, caught by specconv, each naming its field
	bad_config "no root" 'del(.root)' 'root: missing'
	bad_config "empty root.path" '.root.path = ""' 'root.path'
	bad_config "no ociVersion" 'del(.ociVersion)' 'ociVersion'
	bad_config "ociVersion not semver" '.ociVersion = "banana"' 'ociVersion' banana
	bad_config "duplicate namespace" '.linux.namespaces += [{"type": "pid"}]' 'linux.namespaces[' duplicate
	bad_config "uid mappings without a user namespace" '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1}]' 'linux.uidMappings'
	bad_config "rlimit soft above hard" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]' 'process.rlimits[0]' 'above hard'
	bad_config "rlimit twice" '.process.rlimits += [.process.rlimits[0]]' 'process.rlimits[1]' duplicate
	bad_config "oomScoreAdj out of range" '.process.oomScoreAdj = 5000' 'process.oomScoreAdj'
	bad_config "NUL in args" '.process.args = ["a\u0000b"]' 'process.args[0]' NUL
	bad_config "env without =" '.process.env += ["NOEQUALS"]' 'process.env[' NOEQUALS
	bad_config "relative hook path" '.hooks = {"prestart": [{"path": "relative/hook"}]}' 'hooks.prestart[0].path'
	bad_config "unknown device type" '.linux.devices = [{"path": "/dev/x", "type": "z", "major": 1, "minor": 1}]' 'linux.devices[0].type'
	bad_config "relative masked path" '.linux.maskedPaths = ["relative"]' 'linux.maskedPaths[0]'
	bad_config "unknown seccomp action" '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}' 'linux.seccomp.defaultAction'
	bad_config "non-namespaced sysctl" '.linux.sysctl = {"kernel.bogus_key": "1"}' 'linux.sysctl' 'kernel.bogus_key'
	bad_config "relative cgroupsPath leaving berth's cgroup" '.linux.cgroupsPath = "../../x"' 'linux.cgroupsPath'
	# caught in the container's init, with the field's index
	bad_config "unknown mount option" '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["nosuchoption"]}]' 'mounts[' '/mnt' 'invalid argument'
	bad_config "bad tmpfs size" '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=abc"]}]' 'mounts[' 'invalid argument'
	bad_config "unknown filesystem type" '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "x"}]' 'mounts[' nosuchfs
	bad_config "cwd is a file" '.process.cwd = "/etc/passwd"' 'process.cwd' '/etc/passwd'
	echo "$BAD broken cases"
	[ "$BAD" = 0 ]
}

@test "errors: broken config.json files (table): empty, not an object, truncated, 100 MiB, a fifo, a directory" {
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/good.json"
	BAD=0
	local f=$BUNDLE/config.json
	bad_file() {
		local what=$1
		shift
		run --separate-stderr timeout --foreground -k 5 10 "$BERTH" --root "$ROOT" \
			create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
		bad_case "$what" "$@"
		rm -rf "$f"
	}
	: >"$f"
	bad_file "empty file" config.json empty
	echo '[]' >"$f"
	bad_file "an array" config.json 'JSON array'
	echo 'null' >"$f"
	bad_file "null" config.json ociVersion
	head -c 300 "$BATS_TEST_TMPDIR/good.json" >"$f"
	bad_file "cut short" config.json 'middle of a value'
	printf '\377\376{}' >"$f"
	bad_file "not UTF-8" config.json 'invalid JSON at byte 1'
	# 100 MiB (sparse): refused by its size, not read into memory
	truncate -s 100M "$f"
	bad_file "100 MiB" config.json 'larger than'
	mkfifo "$f"
	bad_file "a fifo (must not hang)" config.json 'a fifo'
	mkdir "$f"
	bad_file "a directory" config.json 'a directory'
	ln -s /dev/zero "$f"
	bad_file "a device" config.json 'a device'
	echo "$BAD broken cases"
	[ "$BAD" = 0 ]
}

@test "errors: bad container IDs (table): path traversal and odd characters are refused" {
	BAD=0
	local id
	for id in '../../etc' '../x' '/abs' 'a/b' 'a b' $'a\nb' $'a\tb' 'a*b' 'a;b' 'a:b' '$(id)' \
		'%2e%2e' 'ünïcödé' '.' '..' ''; do
		run --separate-stderr timeout --foreground -k 5 10 "$BERTH" --root "$ROOT" \
			create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/bad.pid" "$id" </dev/null 3>&-
		bad_case "ID '$id'" "invalid container ID"
		[ ! -e "$BATS_TEST_TMPDIR/bad.pid" ] || BAD=$((BAD + 1))
		# the other commands refuse it the same way, before touching anything
		for cmd in state start kill delete "delete --force" ps pause exec; do
			# shellcheck disable=SC2086
			QUICK=1 run --separate-stderr "$BERTH" --root "$ROOT" $cmd "$id" </dev/null 3>&-
			QUICK=1 bad_case "$cmd '$id'" "invalid container ID"
		done
		[ -z "$(ls -A "$ROOT")" ] || BAD=$((BAD + 1))
	done
	# nothing written outside the root: /etc is untouched, the test dir holds what it held
	[ ! -e "$BATS_TEST_TMPDIR/x" ] && [ ! -e /abs ]
	echo "$BAD broken cases"
	[ "$BAD" = 0 ]
}

@test "errors: bad commands and flags (table): each fails naming the flag or argument" {
	run_detached "$ID-r"
	KEEP=$ID-r
	BAD=0
	bad_cmd() {
		local what=$1 args=$2
		shift 2
		# shellcheck disable=SC2086
		run --separate-stderr timeout --foreground -k 5 10 "$BERTH" --root "$ROOT" $args </dev/null 3>&-
		bad_case "$what" "$@"
	}
	bad_cmd "exec -u a name" "exec -u nosuchuser $ID-r true" '--user' nosuchuser
	bad_cmd "exec -g not a number" "exec -g wheel $ID-r true" 'additional-gids' wheel
	bad_cmd "exec without a command" "exec $ID-r" 'no command'
	bad_cmd "exec --cgroup" "exec --cgroup sub $ID-r true" '--cgroup'
	bad_cmd "exec --preserve-fds of closed fds" "exec --preserve-fds 5 $ID-r true" '--preserve-fds 5' 'not open'
	bad_cmd "create --preserve-fds negative" "create --bundle $BUNDLE --preserve-fds -1 $ID" '--preserve-fds -1'
	bad_cmd "create --preserve-fds absurd" "create --bundle $BUNDLE --preserve-fds 1000000000 $ID" '--preserve-fds 1000000000'
	bad_cmd "create with two IDs" "create --bundle $BUNDLE $ID $ID-x" 'unexpected arguments'
	bad_cmd "create --console-socket without a terminal" "create --bundle $BUNDLE --console-socket /x.sock $ID" 'console-socket'
	bad_cmd "kill with an unknown signal" "kill $ID-r NOSIG" NOSIG
	bad_cmd "kill with signal 65" "kill $ID-r 65" 65
	bad_cmd "state without an ID" "state" 'ID missing'
	bad_cmd "list --format yaml" "list --format yaml" yaml
	bad_cmd "ps --format yaml" "ps --format yaml $ID-r" yaml
	bad_cmd "--log-format xml" "--log-format xml list" xml
	bad_cmd "an unknown command" "frobnicate" frobnicate
	bad_cmd "start of a running container" "start $ID-r" running
	bad_cmd "delete of a running container" "delete $ID-r" running
	# the container the commands were aimed at is unharmed
	[ "$(status_of "$ID-r")" = running ]
	echo "$BAD broken cases"
	[ "$BAD" = 0 ]
}

@test "errors: a --root on a read-only filesystem is a clear error, and nothing is made" {
	mkdir "$BATS_TEST_TMPDIR/ro"
	host_mount -t tmpfs -o ro,size=1m tmpfs "$BATS_TEST_TMPDIR/ro"
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/ro/root" create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/ro/root"* ]]
	[[ "$stderr" == *"read-only file system"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/ro/root" ] && [ -z "$(stray_procs "$ID")" ]
	# and a read-only root that exists: the state directory cannot be made
	umount "$BATS_TEST_TMPDIR/ro"
	mkdir -p "$BATS_TEST_TMPDIR/ro/root"
	mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/ro/root"
	mount -o remount,ro "$BATS_TEST_TMPDIR/ro/root"
	defer umount -l "$BATS_TEST_TMPDIR/ro/root"
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/ro/root" create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"read-only file system"* ]]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/ro/root")" ]
	# list and state on it still answer
	run --separate-stderr "$BERTH" --root "$BATS_TEST_TMPDIR/ro/root" list -q </dev/null 3>&-
	[ "$status" -eq 0 ] && [ -z "$output" ]
	[ -z "$(stray_procs "$ID")" ] && [ -z "$(leftover_cgroups)" ]
}

# corrupt_state HOW: a container's state directory whose state.json is broken by HOW (a
# shell command run on the file), and nothing else of it on the host: the container is
# made, its state kept aside, deleted, and the state put back.
corrupt_state() {
	create_container "$ID"
	cp -a "$ROOT/$ID" "$BATS_TEST_TMPDIR/saved"
	berth delete --force "$ID"
	cp -a "$BATS_TEST_TMPDIR/saved" "$ROOT/$ID"
	(cd "$ROOT/$ID" && eval "$1")
}

@test "errors: a corrupt or half-written state.json: commands name the file, delete --force removes it" {
	local how
	for how in 'truncate -s 100 state.json' ': >state.json' 'echo garbage >state.json' \
		'jq ".id = \"other\"" state.json >s && mv s state.json' 'jq ".config = null" state.json >s && mv s state.json'; do
		echo "# $how"
		corrupt_state "$how"
		for cmd in state start kill pause exec delete; do
			run --separate-stderr berth $cmd "$ID" </dev/null
			echo "$cmd: $stderr"
			[ "$status" -ne 0 ]
			[[ "$stderr" == *"corrupt $ROOT/$ID/state.json"* ]]
		done
		# list shows no such container (it cannot say anything true of it)
		run --separate-stderr berth list -q
		[ "$status" -eq 0 ] && [ -z "$output" ]
		# delete --force removes it, saying what it could not know
		run --separate-stderr berth delete --force "$ID" </dev/null
		echo "delete --force: $stderr"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *corrupt* ]]
		[ ! -e "$ROOT/$ID" ]
		assert_nothing_left
		rm -rf "$BATS_TEST_TMPDIR/saved"
	done
}

@test "errors: a state directory left half-made (no state.json, a temporary file) is removed by delete" {
	mkdir -p "$ROOT/$ID"
	echo '{"partial' >"$ROOT/$ID/.state.json.12345"
	run --separate-stderr berth state "$ID"
	[ "$status" -ne 0 ] && [[ "$stderr" == *"does not exist"* ]]
	[ -z "$(berth list -q)" ]
	berth delete "$ID"
	[ ! -e "$ROOT/$ID" ]
	# the same ID can be used again
	create_container "$ID"
	[ "$(status_of "$ID")" = created ]
}
