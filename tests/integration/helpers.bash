#!/usr/bin/env bash
# Shared helpers for berth's end-to-end tests (bats; root, and for the files that say
# so, an unprivileged user: the rootless lane, rootless-lane.sh).
#
# Every test gets:
#   $BERTH    the runtime under test (default: $REPO/berth); set BERTH=/usr/sbin/runc
#             to check the suite itself against runc.
#   $ROOT     a private --root state directory (the `berth` function passes it).
#   $ID       a container ID unique to this test and this run; a test that needs more
#             containers uses "$ID-2", "$ID-x", ... so that every ID starts with $ID.
#   $BUNDLE   the bundle made by make_bundle (rootfs copied from a per-run cache).
#   $HOSTDIR  an empty host directory (mode 0777) to bind-mount into containers.
#   $ROOTLESS 1 when the tests run without root (their bundles get a user namespace).
# Each .bats file calls setup_berth from setup() and teardown_berth from teardown().
# teardown_berth deletes (--force) whatever the test left in $ROOT, then FAILS the test
# if anything was left behind: state entries, mounts of the test's paths, processes.

bats_require_minimum_version 1.5.0

HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HELPERS_DIR/../.." && pwd)
BERTH=${BERTH:-$REPO/berth}
# No runtime command may hang the suite: each is killed after this many seconds.
BERTH_TIMEOUT=${BERTH_TIMEOUT:-60}
MKROOTFS=$REPO/scripts/mkrootfs.sh

# --- runtime identity ---------------------------------------------------------------

is_runc() {
	"$BERTH" --version 2>/dev/null | head -1 | grep -q '^runc'
}

# skip_if_runc REASON: skip this test only when the binary under test is runc; REASON
# names the runc shortcoming (a runtime-spec violation or a missing feature).
# Set BERTH_TEST_NO_SKIP=1 to run these tests against runc anyway (to see them fail).
skip_if_runc() {
	if [ -z "${BERTH_TEST_NO_SKIP:-}" ] && is_runc; then
		skip "runc: $*"
	fi
}

# --- per-test setup / teardown --------------------------------------------------------

# setup_berth [--rootless]: --rootless says that the file's tests also run as an
# unprivileged user (the rootless lane); without it they skip when not root.
setup_berth() {
	ROOTLESS=
	if [ "$(id -u)" != 0 ]; then
		[ "${1:-}" = --rootless ] || skip "needs root"
		ROOTLESS=1
	fi
	[ -x "$BERTH" ] || {
		echo "BERTH=$BERTH is not an executable (build berth, or set BERTH=/usr/sbin/runc)" >&2
		return 1
	}
	# Containers with a user namespace run as a mapped uid that must be able to reach the
	# bundle: bats makes its temporary directories 0700.
	chmod a+x "$BATS_RUN_TMPDIR" "$BATS_TEST_TMPDIR" "$(dirname "$BATS_TEST_TMPDIR")" 2>/dev/null || true
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT"
	ID="bt${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-$$"
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$HOSTDIR"
	chmod 0777 "$HOSTDIR"
	PIDS_FILE=$BATS_TEST_TMPDIR/.tracked-pids
	CLEANUP_FILE=$BATS_TEST_TMPDIR/.cleanup
	: >"$PIDS_FILE"
	: >"$CLEANUP_FILE"
}

# defer CMD...: run CMD (as one shell string) in teardown, after the containers are
# deleted and before the leftover checks; the last deferred runs first.
# For host-side things a test creates itself (a netns, a mount it made on the host).
defer() {
	printf '%s\n' "$*" >>"$CLEANUP_FILE"
}

teardown_berth() {
	local id ids errors=() line pid start stray cg mnts
	[ -n "${ROOT:-}" ] || return 0 # setup skipped

	# 1. Force-delete every container the runtime still knows about in our root.
	if [ -d "$ROOT" ]; then
		ids=$(berth list -q 2>/dev/null </dev/null) || true
		for id in $ids $(ls -A "$ROOT" 2>/dev/null); do
			berth delete --force "$id" </dev/null >/dev/null 2>&1 || true
		done
	fi

	# 2. The test's own host-side clean-up (last deferred first, as Go's defer).
	if [ -s "$CLEANUP_FILE" ]; then
		while IFS= read -r line; do
			eval "$line" >/dev/null 2>&1 3>&- || true
		done < <(tac "$CLEANUP_FILE")
	fi

	# 3. Nothing may be left behind. Each leftover fails the test, and is then removed
	#    so that it does not pollute the machine or the tests after this one.
	if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ]; then
		# shellcheck disable=SC2012 # names for a message only
		errors+=("state root $ROOT not empty after delete --force: $(ls -A "$ROOT" | tr '\n' ' ')")
	fi
	while read -r pid start; do
		[ -n "$pid" ] || continue
		if ! wait_pid_gone "$pid" "$start"; then
			errors+=("process $pid still running: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)")
			kill -9 "$pid" 2>/dev/null || true
		fi
	done <"$PIDS_FILE"
	# Any process whose cgroup path names one of this test's IDs (a container process the
	# runtime never reported, e.g. the init of a failed create).
	stray=$(stray_procs "$ID")
	if [ -n "$stray" ]; then
		# shellcheck disable=SC2086 # a list of pids
		errors+=("processes left in a cgroup named $ID*: $(describe_procs $stray)")
		# shellcheck disable=SC2086
		kill -9 $stray 2>/dev/null || true
	fi
	mnts=$(awk -v p="$BATS_TEST_TMPDIR" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo)
	if [ -n "$mnts" ] || grep -qF -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo; then
		errors+=("mounts left behind: $(grep -F -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo)")
		# deepest first
		while IFS= read -r line; do
			umount -l "$line" 2>/dev/null || true
		done < <(sort -r <<<"$mnts")
	fi
	cg=$(leftover_cgroups)
	if [ -n "$cg" ]; then
		sleep 0.5
		cg=$(leftover_cgroups)
		if [ -n "$cg" ]; then
			errors+=("cgroups left behind: $cg")
			# rmdir only (never unmount anything under /sys/fs/cgroup); children first
			while IFS= read -r line; do
				rmdir "$line" 2>/dev/null || true
			done < <(sort -r <<<"$cg")
		fi
	fi

	if [ ${#errors[@]} -gt 0 ]; then
		printf 'teardown: %s\n' "${errors[@]}" >&2
		return 1
	fi
}

# leftover_cgroups: cgroup directories named after this test's IDs.
leftover_cgroups() {
	find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$ID" -o -name "$ID-*" \) 2>/dev/null
}

# procs_in_cgroup_named PREFIX: pids of processes with a cgroup path component starting
# with PREFIX.
procs_in_cgroup_named() {
	local f p
	while IFS= read -r f; do
		p=${f#/proc/}
		p=${p%/cgroup}
		# zombies do not count: they are dead, waiting for their reaper
		[ "$(proc_state "$p")" = Z ] && continue
		printf '%s ' "$p"
	done < <(grep -lE "/$1(-[^/]*)?(/|\$)" /proc/[0-9]*/cgroup 2>/dev/null)
}

# stray_procs PREFIX: pids of the processes still in a cgroup named PREFIX* after 5 s,
# or nothing. A process killed by delete can take a while to end on a loaded machine: an
# exiting pid namespace's init waits in exit for its children to be reaped, and
# /proc/PID/cgroup names its cgroup until then, although the cgroup itself is gone.
# Only what outlives the wait is a leak.
stray_procs() {
	local end=$(($(now_ms) + 5000)) left
	while left=$(procs_in_cgroup_named "$1") && [ -n "$left" ]; do
		if [ "$(now_ms)" -ge "$end" ]; then
			echo "$left"
			return 0
		fi
		sleep 0.1
	done
}

# describe_procs PID...: "pid(state,exiting,wchan,comm)" of each, for a failure message.
describe_procs() {
	local p flags
	for p in "$@"; do
		flags=$(proc_flags "$p")
		printf '%s(%s,exiting=%s,%s,%s) ' "$p" "$(proc_state "$p")" \
			"$(((${flags:-0} & 4) != 0 ? 1 : 0))" "$(cat "/proc/$p/wchan" 2>/dev/null)" \
			"$(cat "/proc/$p/comm" 2>/dev/null)"
	done
}

# --- processes ------------------------------------------------------------------------

proc_state() {
	# field 3 of /proc/PID/stat (after the parenthesised comm, which may hold spaces)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	echo "${s%% *}"
}

# proc_flags PID: the kernel's flags of PID (field 9 of /proc/PID/stat; PF_EXITING is 4).
proc_flags() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	# after the comm: flags is field 9 -> index 6 here
	local -a f
	read -ra f <<<"$s"
	echo "${f[6]}"
}

proc_starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	# after the comm: state is field 3; starttime is field 22 -> index 19 here
	echo "$s" | awk '{print $20}'
}

# track_pid PID: teardown fails if this process (same pid AND start time) still lives.
track_pid() {
	[ -n "$1" ] && [ "$1" != 0 ] || return 0
	echo "$1 $(proc_starttime "$1")" >>"$PIDS_FILE"
}

# pid_alive PID [STARTTIME]: true if PID is a live (non-zombie) process, and when given,
# still the same process (start time).
pid_alive() {
	[ -d "/proc/$1" ] || return 1
	local st
	st=$(proc_state "$1")
	[ -n "$st" ] && [ "$st" != Z ] || return 1
	if [ -n "${2:-}" ] && [ "$(proc_starttime "$1")" != "$2" ]; then
		return 1
	fi
	return 0
}

# now_ms: a clock in milliseconds (bash 5's EPOCHREALTIME: no fork)
now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# wait_pid_gone PID [STARTTIME]: wait up to 5s for the process to die.
wait_pid_gone() {
	local end=$(($(now_ms) + 5000))
	while pid_alive "$1" "${2:-}"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# --- the runtime ----------------------------------------------------------------------

# berth ARGS...: the runtime under test with this test's private --root. Use it for
# commands that leave no process behind (state, start, kill, delete, list, spec, a
# foreground run); fd 3 (bats' own) is closed so that nothing can inherit it.
berth() {
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" "$@" 3>&-
}

# Files that receive the stdio of a container created with create_container/run_detached.
cout() { echo "$BATS_TEST_TMPDIR/$1.stdout"; }
cerr() { echo "$BATS_TEST_TMPDIR/$1.stderr"; }
pidfile() { echo "$BATS_TEST_TMPDIR/$1.pid"; }

# _detached VERB [FLAGS...] ID: `create` or `run -d` with --bundle $BUNDLE and a
# --pid-file; the container's stdin is /dev/null and its stdout/stderr go to
# $(cout ID)/$(cerr ID) (so that no container holds a pipe that bats reads). On failure
# the runtime's stderr is copied to our stderr.
_detached() {
	local verb=$1
	shift
	local id=${!#} rc=0 pid
	# shellcheck disable=SC2086
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" $verb --bundle "$BUNDLE" --pid-file "$(pidfile "$id")" "$@" \
		</dev/null >"$(cout "$id")" 2>"$(cerr "$id")" 3>&- || rc=$?
	if [ "$rc" -eq 0 ]; then
		pid=$(cat "$(pidfile "$id")" 2>/dev/null)
		track_pid "$pid"
	else
		cat "$(cerr "$id")" >&2
	fi
	return "$rc"
}

# create_container [CREATE FLAGS...] ID
create_container() { _detached create "$@"; }
# run_detached [RUN FLAGS...] ID    (runtime `run -d`)
run_detached() { _detached "run -d" "$@"; }

# state_of ID: the state JSON (fails if the runtime fails).
state_of() {
	berth state "$1"
}

# status_of ID: the state's status field.
status_of() {
	state_of "$1" | jq -r .status
}

# pid_of ID: the state's pid field.
pid_of() {
	state_of "$1" | jq -r .pid
}

# wait_for_status ID STATUS [SECONDS=5]
wait_for_status() {
	local end=$(($(now_ms) + ${3:-5} * 1000)) s
	while :; do
		s=$(status_of "$1" 2>/dev/null) || true
		[ "$s" = "$2" ] && return 0
		[ "$(now_ms)" -lt "$end" ] || break
		sleep 0.05
	done
	echo "container $1: status '$s', want '$2'" >&2
	return 1
}

# wait_for_file PATH [SECONDS=5]: wait until PATH exists and is non-empty.
wait_for_file() {
	local end=$(($(now_ms) + ${2:-5} * 1000))
	while [ ! -s "$1" ]; do
		if [ "$(now_ms)" -ge "$end" ]; then
			echo "timed out waiting for $1" >&2
			return 1
		fi
		sleep 0.05
	done
}

# wait_for_line FILE LINE [SECONDS=5]: wait until FILE has a line that is exactly LINE.
wait_for_line() {
	local end=$(($(now_ms) + ${3:-5} * 1000))
	until grep -qxF -- "$2" "$1" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$end" ]; then
			echo "timed out waiting for '$2' in $1" >&2
			return 1
		fi
		sleep 0.05
	done
}

# --- bundles --------------------------------------------------------------------------

# The busybox rootfs is built once per bats run (shared by all files, also under
# `bats --jobs`) and copied into each bundle.
rootfs_cache() {
	local cache=$BATS_RUN_TMPDIR/rootfs-cache
	if [ ! -e "$cache/.done" ]; then
		(
			flock 9
			if [ ! -e "$cache/.done" ]; then
				rm -rf "$cache"
				"$MKROOTFS" "$cache/rootfs" >&2 || exit 1
				touch "$cache/.done"
			fi
		) 9>"$BATS_RUN_TMPDIR/rootfs-cache.lock" || return 1
	fi
	echo "$cache/rootfs"
}

# make_bundle [DIR=$BUNDLE]: a bundle with a copy of the busybox rootfs and a config.json
# from `$BERTH spec`, with process.terminal=false. Sets BUNDLE to DIR.
# Without root: `spec --rootless`, and mappings that also give the container the ids of
# the user's /etc/subuid and /etc/subgid ranges (as Podman does), so that users other
# than root exist in it.
make_bundle() {
	local dir=${1:-$BUNDLE} cache
	cache=$(rootfs_cache) || return 1
	mkdir -p "$dir"
	cp -a "$cache" "$dir/rootfs"
	if [ -n "${ROOTLESS:-}" ]; then
		(cd "$dir" && "$BERTH" spec --rootless 3>&-) || return 1
	else
		(cd "$dir" && "$BERTH" spec 3>&-) || return 1
	fi
	BUNDLE=$dir
	update_config '.process.terminal = false'
	if [ -n "${ROOTLESS:-}" ]; then
		add_subid_mappings
	fi
}

# subid_range FILE: "START COUNT" of the first range FILE (/etc/subuid, /etc/subgid)
# gives the current user, or nothing.
subid_range() {
	awk -F: -v u="$(id -un)" -v n="$(id -u)" '($1 == u || $1 == n) && $3 > 0 { print $2, $3; exit }' "$1" 2>/dev/null
}

# add_subid_mappings: container ids 1.. mapped to the user's subordinate range (if any
# and if newuidmap/newgidmap are installed); container root stays the user.
add_subid_mappings() {
	local u g
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null || return 0
	u=$(subid_range /etc/subuid)
	g=$(subid_range /etc/subgid)
	[ -n "$u" ] && [ -n "$g" ] || return 0
	update_config --argjson us "${u% *}" --argjson un "${u#* }" --argjson gs "${g% *}" --argjson gn "${g#* }" \
		'.linux.uidMappings += [{"containerID": 1, "hostID": $us, "size": $un}]
		| .linux.gidMappings += [{"containerID": 1, "hostID": $gs, "size": $gn}]'
}

# skip_without_user_cgroup: in the rootless lane, skip unless it runs in cgroups delegated
# to its user (rootless-lane.sh), where a container with a relative linux.cgroupsPath
# gets a cgroup of its own.
skip_without_user_cgroup() {
	if [ -n "${ROOTLESS:-}" ] && [ -z "${BERTH_TEST_DELEGATED:-}" ]; then
		skip "rootless: needs a cgroup the user can write, and none is delegated to it"
	fi
}

# host_id uid|gid ID: the host id of container id ID under $BUNDLE's mappings (ID itself
# without a user namespace).
host_id() {
	jq -r --arg k "$1" --argjson id "$2" '
		(.linux[$k + "Mappings"] // []) as $m
		| if ($m | length) == 0 then $id
		  else first($m[] | select(.containerID <= $id and $id < .containerID + .size)
			| .hostID + $id - .containerID) // "unmapped" end' "$BUNDLE/config.json"
}

# skip_if_rootless REASON: skip this test in the rootless lane; REASON says why it cannot
# work without root.
skip_if_rootless() {
	if [ -n "${ROOTLESS:-}" ]; then
		skip "rootless: $*"
	fi
}

# update_config [JQ OPTIONS...] EXPR: edit $BUNDLE/config.json with jq.
update_config() {
	local tmp=$BUNDLE/config.json.tmp
	jq "$@" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# set_cmd SCRIPT: process.args = ["sh", "-c", SCRIPT]
set_cmd() {
	update_config --arg s "$1" '.process.args = ["sh", "-c", $s]'
}

# hostdir_mount [OPTIONS_JSON='["bind"]']: bind-mount $HOSTDIR at /host in the container.
hostdir_mount() {
	# made here, not by the runtime: a container root in a user namespace could not
	mkdir -p "$BUNDLE/rootfs/host"
	update_config --arg src "$HOSTDIR" --argjson o "${1:-[\"bind\"]}" \
		'.mounts += [{"destination": "/host", "type": "bind", "source": $src, "options": $o}]'
}

# run_fg [RUN FLAGS...] ID: the runtime's foreground `run --bundle $BUNDLE` under bats'
# `run --separate-stderr` ($status, $output, $lines, $stderr), stdin from /dev/null.
# What it got is echoed, so that a failing test shows it.
run_fg() {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$@" </dev/null 3>&-
	# shellcheck disable=SC2154 # bats's run sets status, output and stderr
	printf 'run %s: status=%s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$*" "$status" "$output" "$stderr"
}

# ns_inode PID NS: the inode of /proc/PID/ns/NS ("net:[4026531840]" -> 4026531840)
ns_inode() {
	local l
	l=$(readlink "/proc/$1/ns/$2") || return 1
	l=${l#*[}
	echo "${l%]}"
}

# assert_nothing_left: (right after a failed operation) no state in $ROOT, no process in a
# cgroup named after this test's IDs, no mount of this test's paths.
assert_nothing_left() {
	if [ -n "$(ls -A "$ROOT")" ]; then
		echo "state left in $ROOT: $(ls -A "$ROOT")" >&2
		return 1
	fi
	local p
	p=$(stray_procs "$ID")
	if [ -n "$p" ]; then
		# shellcheck disable=SC2086
		echo "processes left: $(describe_procs $p)" >&2
		return 1
	fi
	if grep -F -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo >&2; then
		echo "mounts left (above)" >&2
		return 1
	fi
}

# capmask NUMBER...: the hex mask of these capability numbers, as /proc/PID/status shows
capmask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | (1 << c)))
	done
	printf '%016x' "$m"
}

# add_caps CAP...: add capabilities to the bounding, effective and permitted sets (what a
# root process keeps across execve)
add_caps() {
	local c
	for c in "$@"; do
		update_config --arg c "$c" '.process.capabilities.bounding = ((.process.capabilities.bounding // []) - [$c] + [$c])
			| .process.capabilities.effective = ((.process.capabilities.effective // []) - [$c] + [$c])
			| .process.capabilities.permitted = ((.process.capabilities.permitted // []) - [$c] + [$c])'
	done
}

# host_mount ARGS... TARGET: mount(8) on the host, unmounted (lazily) in teardown.
host_mount() {
	mount "$@"
	defer umount -l "${!#}"
}

# mountinfo_line PID DEST: the container's mountinfo line for the mount point DEST.
mountinfo_line() {
	awk -v d="$2" '$5 == d' "/proc/$1/mountinfo" | tail -1
}

# build_test_cmd NAME: build the test helper tests/cmd/NAME once per run (flock-guarded:
# files may run in parallel) and print its path. For setup_file of the files that use it.
# The rootless lane brings them built beforehand in $BERTH_TEST_CMDS (its user has no Go
# cache, and may not read the checkout).
build_test_cmd() {
	if [ -n "${BERTH_TEST_CMDS:-}" ] && [ -x "$BERTH_TEST_CMDS/$1" ]; then
		echo "$BERTH_TEST_CMDS/$1"
		return 0
	fi
	local bin=$BATS_RUN_TMPDIR/$1 go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
	(
		flock 9
		[ -x "$bin" ] || (cd "$REPO" && "$go" build -buildvcs=false -o "$bin" "./tests/cmd/$1")
	) 9>"$BATS_RUN_TMPDIR/$1.lock" >&2 || return 1
	echo "$bin"
}

# build_recvtty: the console-socket receiver (tests/cmd/recvtty) as $RECVTTY.
build_recvtty() {
	RECVTTY=$(build_test_cmd recvtty) || return 1
	export RECVTTY
}

# start_recvtty [RECVTTY FLAGS...]: listen on $SOCK in the background; its output (what
# the container wrote to its terminal) goes to $TTY_OUT (default $BATS_TEST_TMPDIR/tty.out),
# the pty's name to $BATS_TEST_TMPDIR/pty.name; its pid is $RECVTTY_PID.
start_recvtty() {
	: "${TTY_OUT:=$BATS_TEST_TMPDIR/tty.out}"
	"$RECVTTY" -name-file "$BATS_TEST_TMPDIR/pty.name" "$@" "$SOCK" >"$TTY_OUT" 2>"$BATS_TEST_TMPDIR/recvtty.err" 3>&- &
	RECVTTY_PID=$!
	track_pid "$RECVTTY_PID"
	local _
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		sleep 0.02
	done
	echo "recvtty did not listen on $SOCK" >&2
	return 1
}
