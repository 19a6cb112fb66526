#!/usr/bin/env bash
# Rootless Podman (Debian's podman, with conmon) with the runtime under test
# as its OCI runtime, run as the unprivileged user berthtest (the user of
# tests/integration/rootless-lane.sh, created here the same way if missing:
# 65536 subordinate ids in /etc/subuid and /etc/subgid for newuidmap).
# Podman runs through setpriv with HOME, XDG_RUNTIME_DIR and TMPDIR in this
# run's private directory, its own containers.conf, storage.conf (vfs: no
# fuse-overlayfs needed) and registries.conf; every container uses
# --network none (no slirp4netns or passt needed). Scenarios: run --rm with
# output, exit codes, a detached container + exec + stop + rm, and a
# container user that is a subordinate id; checked from the host too: the
# container's processes belong to berthtest or its subordinate ids, never
# to root, and sit in the user namespace of Podman's pause process.
#
# On this cgroup v1 host rootless Podman uses no cgroups (it has none it
# could write), so pause and resource limits are not scenarios here;
# cgroups = "disabled" is refused by Podman for any runtime but crun.
# Podman keeps one process per user namespace alive (its "pause" process);
# teardown ends it and every process of that namespace, by pid.
#
# Podman calls the runtime without --root: containers live in the
# runtime's default root for the user ($XDG_RUNTIME_DIR/berth,
# $XDG_RUNTIME_DIR/runc), inside this run's directory.
#
# usage: RUNTIME=/path/to/berth tests/clients/podman_rootless.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
clients_setup podman_rootless

USER_NAME=${ROOTLESS_USER:-berthtest}
for c in setpriv newuidmap newgidmap useradd usermod; do
	command -v "$c" >/dev/null || { fail "$c not found (tests/clients/deps.sh installs uidmap)"; exit 1; }
done

# --- the user and its subordinate ids (as rootless-lane.sh) ------------------------
# shellcheck source=../lib/testuser.sh
. "$(dirname "$0")/../lib/testuser.sh"
ensure_test_user "$USER_NAME" || { fail "cannot create the user $USER_NAME or its subordinate ids"; exit 1; }
UID_N=$(id -u "$USER_NAME")
GID_N=$(id -g "$USER_NAME")
# The user's first subordinate ranges: START COUNT.
subrange() { awk -F: -v u="$USER_NAME" -v n="$UID_N" '($1 == u || $1 == n) && NF == 3 { print $2, $3; exit }' "$1"; }
read -r SUB_START SUB_COUNT < <(subrange /etc/subuid)
read -r SUBG_START SUBG_COUNT < <(subrange /etc/subgid)

# --- private directories the user owns ---------------------------------------------
P=$WORK/podman
# Podman refuses a runroot longer than 50 characters (its sockets live
# there): a short name right under WORK.
RUNROOT=$WORK/r
mkdir -p "$P/home" "$P/xdg" "$P/tmp" "$P/root" "$RUNROOT" "$P/cni" "$WORK/bin"
chown -R "$USER_NAME:" "$P" "$RUNROOT"
chmod 0700 "$P/xdg"
# The runtime must be executable by the user; a checkout may not be readable
# by it, so berth is copied (same binary, same name) into the private dir.
if setpriv --reuid="$UID_N" --regid="$GID_N" --clear-groups test -x "$RUNTIME"; then
	RT_PATH=$RUNTIME
else
	RT_PATH=$WORK/bin/$RUNTIME_NAME
	cp "$RUNTIME" "$RT_PATH"
	chmod 0755 "$RT_PATH"
fi
RT=$RUNTIME_NAME
CONF=$WORK/conf
mkdir -p "$CONF"
podman_conf "$P" "$RT" "$RT_PATH" >"$CONF/containers.conf"
cat >"$CONF/storage.conf" <<TOML
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$RUNROOT"
rootless_storage_path = "$P/root"
TOML
echo 'unqualified-search-registries = []' >"$CONF/registries.conf"
chmod -R a+rX "$CONF" "$WORK/bin"

# as_user CMD...: CMD as the user, with only this run's environment.
as_user() {
	setpriv --reuid="$UID_N" --regid="$GID_N" --init-groups --reset-env \
		env HOME="$P/home" XDG_RUNTIME_DIR="$P/xdg" TMPDIR="$P/tmp" SHELL=/bin/sh USER="$USER_NAME" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		CONTAINERS_CONF="$CONF/containers.conf" CONTAINERS_STORAGE_CONF="$CONF/storage.conf" \
		CONTAINERS_REGISTRIES_CONF="$CONF/registries.conf" "$@"
}
podmanc() {
	timeout -k 10 "$TIMEOUT" setpriv --reuid="$UID_N" --regid="$GID_N" --init-groups --reset-env \
		env HOME="$P/home" XDG_RUNTIME_DIR="$P/xdg" TMPDIR="$P/tmp" SHELL=/bin/sh USER="$USER_NAME" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		CONTAINERS_CONF="$CONF/containers.conf" CONTAINERS_STORAGE_CONF="$CONF/storage.conf" \
		CONTAINERS_REGISTRIES_CONF="$CONF/registries.conf" \
		podman --root "$P/root" --runroot "$RUNROOT" --runtime "$RT_PATH" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
prun() { podmanc run --network none "$@"; }
inspect() { podmanc inspect --format "$1" "$2"; }
# The runtime's default root for the user: Podman passes no --root.
rt_knows() { grep -qx "$1" <<<"$(as_user "$RT_PATH" list -q 2>/dev/null)"; }
rt_forgot() { ! rt_knows "$1"; }

# host_ids_of PID: the real, effective, saved and fs uids, then gids, of PID.
host_ids_of() {
	awk '/^Uid:/ { u = $2 " " $3 " " $4 " " $5 } /^Gid:/ { g = $2 " " $3 " " $4 " " $5 } END { print u " / " g }' "/proc/$1/status"
}
# owned_by_user PID: every uid and gid of PID is the user's own or one of its
# subordinate ids, and none is 0.
owned_by_user() {
	local id
	for id in $(host_ids_of "$1" | tr -d /); do
		[ "$id" = 0 ] && return 1
		[ "$id" = "$UID_N" ] || [ "$id" = "$GID_N" ] && continue
		[ "$id" -ge "$SUB_START" ] && [ "$id" -lt $((SUB_START + SUB_COUNT)) ] && continue
		[ "$id" -ge "$SUBG_START" ] && [ "$id" -lt $((SUBG_START + SUBG_COUNT)) ] || return 1
	done
}

# The user namespace of Podman's pause process: every process Podman starts
# for this run (conmon, the runtime, the containers) is in it.
USERNS=""
record_userns() {
	local pp
	pp=$(cat "$P/tmp/pause.pid" 2>/dev/null)
	[ -n "$pp" ] && USERNS=$(readlink "/proc/$pp/ns/user" 2>/dev/null)
	[ -n "$USERNS" ]
}
# pids_of_run: live processes in USERNS, and the user's processes whose
# environment names this run's directory (podman itself, before it joins).
pids_of_run() {
	local f pid
	for f in /proc/[0-9]*; do
		pid=${f#/proc/}
		[ "$(awk '{print $3}' "$f/stat" 2>/dev/null)" = Z ] && continue
		if [ -n "$USERNS" ] && [ "$(readlink "$f/ns/user" 2>/dev/null)" = "$USERNS" ]; then
			echo "$pid"
		elif [ "$(stat -c %u "$f" 2>/dev/null)" = "$UID_N" ] &&
			{ tr '\0' '\n' <"$f/environ"; } 2>/dev/null | grep -qF -- "$P/"; then
			echo "$pid"
		fi
	done
}

# uid_of_sleep_in PID UID: UID if a "sleep" of uid UID runs in PID's pid
# namespace (within 5s), else "none".
uid_of_sleep_in() {
	local ns i c
	ns=$(readlink "/proc/$1/ns/pid")
	for ((i = 0; i < 20; i++)); do
		for c in /proc/[0-9]*; do
			[ "$(cat "$c/comm" 2>/dev/null)" = sleep ] && [ "$(stat -c %u "$c" 2>/dev/null)" = "$2" ] &&
				[ "$(readlink "$c/ns/pid" 2>/dev/null)" = "$ns" ] && { echo "$2"; return 0; }
		done
		sleep 0.25
	done
	echo none
}

suite_teardown() {
	local ids id pid left i
	ids=$(podmanc ps -aq --no-trunc 2>/dev/null)
	# shellcheck disable=SC2086 # one container id a word
	[ -z "$ids" ] || podmanc rm -f -t 0 $ids >/dev/null 2>&1
	for id in $ALL_IDS; do
		if rt_knows "$id"; then
			fail "teardown: the runtime still has container $id in its default root"
			as_user "$RT_PATH" delete --force "$id" >/dev/null 2>&1
		fi
	done
	[ -n "$USERNS" ] || record_userns
	for pid in $(pids_of_run); do
		kill -KILL "$pid" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		left=$(pids_of_run)
		[ -z "$left" ] && break
		sleep 0.5
	done
	if [ -z "$left" ]; then pass "teardown: no process of $USER_NAME of this run is left (pause process included)"; else fail "teardown: processes of $USER_NAME left: ${left//$'\n'/ }"; fi
}
ALL_IDS=""

build_image "$WORK/image.tar"
chmod 0644 "$WORK/image.tar"
must "podman load of the locally built image (as $USER_NAME)" podmanc load -i "$WORK/image.tar"
check_match "podman load names it" "Loaded image.*berthbox:latest" "$OUT"
record_userns
check_match "podman's pause process holds its user namespace" '^user:\[[0-9]+\]$' "$USERNS"
check_eq "podman uses the runtime under test, rootless" "$RT_PATH true" \
	"$(podmanc info --format '{{.Host.OCIRuntime.Path}} {{.Host.Security.Rootless}}')"

# --- run --rm, exit codes --------------------------------------------------------
check_eq "run --rm prints stdout" hello "$(prun --rm "$IMAGE" echo hello 2>"$WORK/stderr")"
check_eq "run --rm: nothing on stderr" "" "$(cat "$WORK/stderr")"
check_eq "run --rm: root in the container" "0 0" "$(prun --rm "$IMAGE" sh -c 'echo $(id -u) $(id -g)' 2>&1)"
check_status "exit code passed through (3)" 3 prun --rm "$IMAGE" sh -c 'exit 3'
check_status "a missing command: 127" 127 prun --rm "$IMAGE" /no/such/binary
check_eq "run --rm left no container" "" "$(podmanc ps -aq)"

# --- detached: exec, stop, rm ------------------------------------------------------
must "run -d" prun -d --name "$TAG-d" "$IMAGE" sh -c \
	'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 1; done'
id=$OUT
ALL_IDS+=" $id"
check_eq "it is running" running "$(inspect '{{.State.Status}}' "$id")"
pid=$(inspect '{{.State.Pid}}' "$id")
check "host: its pid $pid is alive" pid_alive "$pid"
check_eq "host: it runs as $USER_NAME's uid and gid, not root" "$UID_N $UID_N $UID_N $UID_N / $GID_N $GID_N $GID_N $GID_N" "$(host_ids_of "$pid")"
check_eq "host: its uid map maps container root to $USER_NAME, the rest to the subordinate ids" \
	"0 $UID_N 1 1 $SUB_START $SUB_COUNT" "$(awk '{printf "%s%s %s %s", (NR > 1 ? " " : ""), $1, $2, $3}' "/proc/$pid/uid_map")"
check_eq "host: it is in podman's user namespace" "$USERNS" "$(readlink "/proc/$pid/ns/user")"
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
check_eq "host: its parent is conmon" conmon "$(cat "/proc/$ppid/comm")"
check "host: conmon runs as $USER_NAME" owned_by_user "$ppid"
check "the runtime under test knows it (the user's default root)" rt_knows "$id"
check "the runtime's state is under \$XDG_RUNTIME_DIR" test -d "$P/xdg/$RT/$id"

check_eq "exec: output" exec-ok "$(podmanc exec "$id" sh -c 'echo exec-ok' 2>&1)"
check_status "exec: exit code (6)" 6 podmanc exec "$id" sh -c 'exit 6'
check_eq "exec -u -w -e" "65534 /tmp x" "$(podmanc exec -u 65534 -w /tmp -e V=x "$id" sh -c 'echo $(id -u) $(pwd) $V' 2>&1)"
# An exec'd process seen from the host: container uid 65534 is the
# subordinate uid SUB_START + 65533.
want=$((SUB_START + 65533))
check "exec -d -u 65534 sleep" podmanc exec -d -u 65534 "$id" sleep 60
check_eq "host: the exec'd process runs as subordinate uid $want" "$want" "$(uid_of_sleep_in "$pid" "$want")"

check "stop" podmanc stop -t 30 "$id"
check_eq "stopped: exit code 0 (it handled SIGTERM)" "exited 0" "$(inspect '{{.State.Status}} {{.State.ExitCode}}' "$id")"
check_match "its log says it got SIGTERM" got-term "$(podmanc logs "$id" 2>&1)"
check "host: its process is gone" sh -c "! kill -0 $pid 2>/dev/null"
check "rm" podmanc rm "$id"
check_eq "no container left" "" "$(podmanc ps -aq)"
check "the runtime no longer knows it" rt_forgot "$id"
check_match "the events file has its life" "died.*$TAG-d|$TAG-d.*died|died.*$id" "$(cat "$P/events.log" 2>&1)"

# --- a container user that is a subordinate id --------------------------------------
must "run -d --user 1000:1000" prun -d --name "$TAG-u" --user 1000:1000 "$IMAGE" sleep 1000
id=$OUT
ALL_IDS+=" $id"
pid=$(inspect '{{.State.Pid}}' "$id")
u=$((SUB_START + 999))
g=$((SUBG_START + 999))
check_eq "host: container uid/gid 1000 is subordinate uid $u / gid $g" "$u $u $u $u / $g $g $g $g" "$(host_ids_of "$pid")"
check "host: it is the user's, not root's" owned_by_user "$pid"
check "rm -f" podmanc rm -f -t 0 "$id"
check "host: its process is gone" sh -c "! kill -0 $pid 2>/dev/null"
