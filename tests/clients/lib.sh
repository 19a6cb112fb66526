# shellcheck shell=bash
# Shared helpers for the client tests (containerd, CRI, Docker, Podman driving
# the runtime under test). Sourced by each tests/clients/*.sh script, as root.
#
#   RUNTIME   the runtime under test (default: $BERTH, else the repo's ./berth);
#             RUNTIME=/usr/sbin/runc runs the same scenarios against runc.
#   WORK      this script's private directory: every daemon's root, state,
#             sockets and pid file live under it.
#   TAG       a name part unique to this run: cgroup parents, namespaces and
#             container names start with it, so checks and cleanup only ever
#             look at what this run made (other people use this machine too).
#
# With pipefail, `producer | grep -q` fails when grep exits at its match
# before the producer has written everything (SIGPIPE): text is handed to
# grep -q as a here-string, never through a pipe.
#
# Results are printed TAP-like ("ok N - ..." / "not ok N - ..."); the script
# ends with "NAME: N passed, N failed" and exits non-zero if anything failed.
# An EXIT trap stops the daemons by pid, removes what they left (processes
# in our cgroups, mounts under WORK, our cgroups, WORK itself, directories
# the daemons created outside WORK) and then checks that nothing is left.

set -uo pipefail

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$CLIENTS_DIR/../.." && pwd)
RUNTIME=$(readlink -f "${RUNTIME:-${BERTH:-$REPO/berth}}")
CACHE=${CLIENTS_CACHE:-$REPO/.cache/clients}
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
# Daemons start slowly on a small machine; nothing here should need more.
TIMEOUT=${CLIENTS_TIMEOUT:-120}
IMAGE=berthbox:latest
# The containerd 2.x and crictl builds (build.sh) and their versions.
. "$CLIENTS_DIR/versions.sh"

PASSED=0
FAILED=0
N=0
DAEMON_PIDS=()
CGROUP_PARENTS=()
OUTSIDE_PATHS=()
OUTSIDE_BEFORE=()
OUTSIDE_EXISTED=()
OUTSIDE_ALL=()

# --- set-up ------------------------------------------------------------------

# clients_setup NAME: check the prerequisites, make WORK and TAG, install the
# EXIT trap. NAME names the script in messages and in WORK's name.
clients_setup() {
	SUITE=$1
	[ "$(id -u)" = 0 ] || { echo "$SUITE: needs root" >&2; exit 1; }
	[ -x "$RUNTIME" ] || { echo "$SUITE: RUNTIME=$RUNTIME is not executable (make berth)" >&2; exit 1; }
	# shellcheck disable=SC2034 # used by the client scripts that source this
	RUNTIME_NAME=$(basename "$RUNTIME")
	TAG=bc$$$(printf %04x $((RANDOM)))
	WORK=$(mktemp -d "/tmp/berth-clients-$SUITE.XXXXXX")
	chmod 0711 "$WORK"
	LOGDIR=${CLIENTS_LOGDIR:-$WORK/logs}
	mkdir -p "$LOGDIR"
	trap clients_teardown EXIT
	trap 'exit 130' INT TERM
	echo "# $SUITE: runtime $RUNTIME ($("$RUNTIME" --version | head -1)), work dir $WORK, tag $TAG"
}

# outside_path DIR [all]: a directory a daemon writes outside WORK whatever
# it is told (containerd 1.6 puts every shim's socket in /run/containerd/s,
# named by a hash). Teardown removes the entries that appeared in it during
# the run and that no process listens on any more (a shim killed by
# teardown leaves its socket) or that are empty directories (with "all":
# whatever appeared), then DIR itself if the run created it.
outside_path() {
	local key=${#OUTSIDE_PATHS[@]}
	OUTSIDE_PATHS+=("$1")
	OUTSIDE_ALL[key]=${2:-}
	OUTSIDE_BEFORE[key]=$(ls -A "$1" 2>/dev/null)
	[ -e "$1" ] && OUTSIDE_EXISTED[key]=1
}

# clean_outside: the teardown half of outside_path.
clean_outside() {
	local i dir e listening
	listening=$(ss -xlnH 2>/dev/null | awk '{print $5}')
	for ((i = ${#OUTSIDE_PATHS[@]} - 1; i >= 0; i--)); do
		dir=${OUTSIDE_PATHS[i]}
		[ -d "$dir" ] || continue
		while IFS= read -r e; do
			grep -qxF -- "$e" <<<"${OUTSIDE_BEFORE[i]}" && continue
			grep -qxF -- "$dir/$e" <<<"$listening" && continue
			if [ -n "${OUTSIDE_ALL[i]}" ]; then
				rm -rf "${dir:?}/$e"
				continue
			fi
			[ -S "$dir/$e" ] && rm -f "$dir/$e"
			[ -d "$dir/$e" ] && rmdir "$dir/$e" 2>/dev/null
		done < <(ls -A "$dir")
		[ -n "${OUTSIDE_EXISTED[i]:-}" ] || rmdir "$dir" 2>/dev/null
	done
}

# outside_left: what clean_outside could not remove.
outside_left() {
	local i dir e
	for ((i = 0; i < ${#OUTSIDE_PATHS[@]}; i++)); do
		dir=${OUTSIDE_PATHS[i]}
		if [ -z "${OUTSIDE_EXISTED[i]:-}" ]; then
			[ -e "$dir" ] && echo "$dir"
			continue
		fi
		while IFS= read -r e; do
			grep -qxF -- "$e" <<<"${OUTSIDE_BEFORE[i]}" || echo "$dir/$e"
		done < <(ls -A "$dir" 2>/dev/null)
	done
}

# cgroup_parent PATH: a cgroup path (relative to each controller's mount)
# whose subtree belongs to this run; teardown empties and removes it.
cgroup_parent() {
	CGROUP_PARENTS+=("${1#/}")
}

# --- results -----------------------------------------------------------------

pass() { N=$((N + 1)); PASSED=$((PASSED + 1)); echo "ok $N - $*"; }
fail() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }

# check DESC CMD...: run CMD (its output into $OUT); pass if it succeeds.
# On failure the output is shown, indented.
check() {
	local desc=$1
	shift
	if OUT=$(run_timeout "$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc (status $?: $*)"
		printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/#   /'
	fi
}

# must DESC CMD...: as check, but the rest of the script depends on it: on
# failure, stop here (teardown still runs) rather than fail every later check.
must() {
	local before=$FAILED
	check "$@"
	[ "$FAILED" = "$before" ] || { echo "# stopping: the checks below depend on this one"; exit 1; }
}

# check_eq DESC WANT GOT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: want $(printf %q "$2"), got $(printf %q "$3")"
	fi
}

# check_match DESC REGEX TEXT
check_match() {
	if grep -Eq -- "$2" <<<"$3"; then
		pass "$1"
	else
		fail "$1: $(printf %q "$3") does not match /$2/"
	fi
}

# check_status DESC WANT CMD...: CMD's exit status must be WANT.
check_status() {
	local desc=$1 want=$2 got
	shift 2
	OUT=$(run_timeout "$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc: exit status $got, want $want ($*)"
		printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/#   /'
	fi
}

# run_timeout CMD...: CMD killed after TIMEOUT seconds, so a hung client call
# fails the check instead of hanging the suite. Shell functions run as they
# are: the client wrappers (ctrc, dockerc, ...) put their own timeout on the
# client they call.
run_timeout() {
	if [ "$(type -t "$1")" = function ]; then
		"$@"
	else
		timeout -k 10 "$TIMEOUT" "$@"
	fi
}

# wait_for DESC SECONDS CMD...: retry CMD every half second until it succeeds.
wait_for() {
	local desc=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "# timed out after ${secs}s waiting for $desc" >&2
	return 1
}

summary() {
	echo "$SUITE: $PASSED passed, $FAILED failed"
}

# --- host-side views ---------------------------------------------------------

# cg_file CONTROLLER PATH FILE: a cgroup v1 file of a container's cgroup.
cg_file() {
	cat "/sys/fs/cgroup/$1/${2#/}/$3"
}

# pid_cgroup PID CONTROLLER: PID's cgroup path in CONTROLLER's hierarchy.
pid_cgroup() {
	awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"
}

# pid_alive PID: PID exists and is not a zombie.
pid_alive() {
	[ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# procs_in_cgroups: pids in this run's cgroups (any controller), one a line.
procs_in_cgroups() {
	local p
	for p in "${CGROUP_PARENTS[@]}"; do
		find /sys/fs/cgroup/*/"$p" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

# pids_mentioning STRING: pids whose command line contains STRING (this run's
# WORK path, which only its own daemons, shims and monitors are given).
pids_mentioning() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		{ tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$1" && echo "$pid"
	done
}

# mounts_under DIR: mount points under DIR, deepest first.
mounts_under() {
	awk -v d="$1/" '{ m = $5; gsub(/\\040/, " ", m); if (index(m "/", d) == 1) print m }' /proc/self/mountinfo |
		awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-
}

# --- daemons -----------------------------------------------------------------

# start_daemon NAME READY-CMD CMD...: start CMD in the background (its output
# in $LOGDIR/NAME.log), then wait until READY-CMD succeeds. A daemon that does
# not come up is a failure of the whole script: there is nothing to test.
start_daemon() {
	local name=$1 ready=$2 pid
	shift 2
	"$@" >"$LOGDIR/$name.log" 2>&1 &
	pid=$!
	DAEMON_PIDS+=("$pid")
	eval "${name//-/_}_PID=$pid"
	local i
	for ((i = 0; i < TIMEOUT * 2; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			fail "$name starts (it exited; log follows)"
			tail -n 30 "$LOGDIR/$name.log" | sed 's/^/#   /'
			exit 1
		fi
		if eval "$ready" >/dev/null 2>&1; then
			pass "$name starts (pid $pid)"
			return 0
		fi
		sleep 0.5
	done
	fail "$name starts (not ready after ${TIMEOUT}s; log follows)"
	tail -n 30 "$LOGDIR/$name.log" | sed 's/^/#   /'
	exit 1
}

# stop_pid PID: SIGTERM, wait up to 30s, then SIGKILL.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "# pid $pid ignored SIGTERM for 30s: SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

# --- images ------------------------------------------------------------------

# build_tools: the image builder, built into CACHE (Go's build cache makes
# a rebuild of an unchanged tool take a moment).
build_tools() {
	mkdir -p "$CACHE/bin"
	(cd "$CLIENTS_DIR/tools" && "$GO" build -o "$CACHE/bin/" ./mkimage) ||
		{ echo "$SUITE: building tests/clients/tools failed" >&2; exit 1; }
}

# build_image OUT.tar: the busybox image (Debian's busybox-static, as in
# scripts/mkrootfs.sh) as a tarball every client loads; default command sh.
build_image() {
	build_tools
	rm -rf "$WORK/image-rootfs"
	"$REPO/scripts/mkrootfs.sh" "$WORK/image-rootfs" >/dev/null
	"$CACHE/bin/mkimage" -rootfs "$WORK/image-rootfs" -name "$IMAGE" -cmd sh -o "$1"
	rm -rf "$WORK/image-rootfs"
}

# build_pause_image OUT.tar NAME: an image holding only /pause (pause/pause.c,
# statically linked), the pod sandbox process for the CRI.
build_pause_image() {
	local dir=$WORK/pause-rootfs
	mkdir -p "$dir"
	gcc -static -Os -s -o "$dir/pause" "$CLIENTS_DIR/pause/pause.c" ||
		{ echo "$SUITE: building pause.c failed (gcc, libc6-dev)" >&2; exit 1; }
	build_tools
	"$CACHE/bin/mkimage" -rootfs "$dir" -name "$2" -entrypoint /pause -o "$1"
	rm -rf "$dir"
}

# --- teardown ----------------------------------------------------------------

# clients_teardown: runs on EXIT. Calls the script's own teardown (which
# removes containers through the client while its daemon still runs), then
# stops everything and checks that nothing is left.
clients_teardown() {
	local status=$? pid p m left
	trap - EXIT
	if declare -F suite_teardown >/dev/null; then
		suite_teardown || true
	fi
	for ((i = ${#DAEMON_PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${DAEMON_PIDS[i]}"
	done
	# Shims and monitors (containerd-shim-runc-v2, conmon) outlive their
	# daemon by design; they are ours if their command line names WORK.
	for pid in $(pids_mentioning "$WORK"); do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $(procs_in_cgroups); do
		kill -KILL "$pid" 2>/dev/null
	done
	sleep 0.5
	for m in $(mounts_under "$WORK"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for p in "${CGROUP_PARENTS[@]}"; do
		# Deepest first: a cgroup is removed once its children are.
		find /sys/fs/cgroup/*/"$p" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# Keep the daemons' logs of a failed run for whoever reads the failure.
	if [ "$FAILED" != 0 ] || [ "$status" != 0 ]; then
		rm -rf "$CACHE/logs/$SUITE" && mkdir -p "$CACHE/logs" &&
			cp -r "$LOGDIR" "$CACHE/logs/$SUITE" 2>/dev/null &&
			echo "# daemon logs kept in $CACHE/logs/$SUITE"
	fi
	rm -rf "$WORK"
	clean_outside

	# What must not be left behind.
	left=$(pids_mentioning "$WORK")
	if [ -z "$left" ]; then pass "teardown: no process of this run is left"; else fail "teardown: processes left: ${left//$'\n'/ }"; fi
	left=$(mounts_under "$WORK")
	if [ -z "$left" ]; then pass "teardown: no mount under $WORK is left"; else fail "teardown: mounts left: ${left//$'\n'/ }"; fi
	left=""
	for p in "${CGROUP_PARENTS[@]}"; do
		left+=$(ls -d /sys/fs/cgroup/*/"$p" 2>/dev/null)
	done
	if [ -z "$left" ]; then pass "teardown: no cgroup of this run is left"; else fail "teardown: cgroups left: ${left//$'\n'/ }"; fi
	left=$( ([ -e "$WORK" ] && echo "$WORK"); outside_left)
	if [ -z "$left" ]; then pass "teardown: no file of this run is left"; else fail "teardown: files left: ${left//$'\n'/ }"; fi
	summary
	[ "$FAILED" = 0 ] && [ "$status" = 0 ] && exit 0
	exit 1
}

# podman_conf P RT RT_PATH [CONTAINERS_LINE...] [-- ENGINE_LINE...]: a
# containers.conf for a Podman of its own: state under P, no network but
# CNI's (empty), the runtime under test as RT (at RT_PATH) and the default
# one, with its errors read as JSON; each CONTAINERS_LINE is added to
# [containers], each ENGINE_LINE to [engine].
podman_conf() {
	local p=$1 rt=$2 path=$3 extra="" engine=""
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		extra+="$1"$'\n'
		shift
	done
	[ $# -eq 0 ] || shift
	[ $# -eq 0 ] || engine=$(printf '%s\n' "$@")
	cat <<TOML
[containers]
netns = "none"
$extra

[network]
network_backend = "cni"
network_config_dir = "$p/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$p/events.log"
image_copy_tmp_dir = "$p/tmp"
$engine
runtime = "$rt"
# Podman reads the runtime's errors as JSON (--log-format=json) only for the
# runtimes listed here.
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "$rt"]
static_dir = "$p/root/libpod"
tmp_dir = "$p/tmp"
volume_path = "$p/root/volumes"

[engine.runtimes]
$rt = ["$path"]
TOML
}
