#!/usr/bin/env bash
# Podman (Debian's podman, with conmon) with the runtime under test as its
# OCI runtime: its own containers.conf (the runtime declared in
# [engine.runtimes] and listed in runtime_supports_json, cgroupfs, events in
# a file, file locks), storage.conf and registries.conf, via the
# CONTAINERS_* variables, so nothing of the system's configuration or
# storage is used; every container uses --network none and a cgroup parent
# of this run. Scenarios: run --rm, exit codes, a tty, detached + exec +
# stop + rm, pause/unpause, --memory; each checked from the host too.
#
# Podman calls the runtime without --root (it keeps no runtime state of its
# own), so containers live in the runtime's default root (/run/berth,
# /run/runc); their IDs are unique, and teardown checks none is left there.
#
# usage: RUNTIME=/path/to/berth tests/clients/podman.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
clients_setup podman

P=$WORK/podman
RT=$RUNTIME_NAME
CG_PARENT=/$TAG-podman
cgroup_parent "$CG_PARENT"
# Two caches containers/image keeps at fixed paths for root (not
# configurable in Podman 4.3): podman load writes a blob-info cache and
# locks the short-name alias cache.
outside_path /var/lib/containers all
outside_path /var/cache/containers all
mkdir -p "$P/tmp" "$P/cni"
export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf \
	CONTAINERS_REGISTRIES_CONF=$P/registries.conf
NPROC=$(ulimit -Hu)
[ "$NPROC" != unlimited ] && [ "$NPROC" -lt 32768 ] || NPROC=32768
# Podman asks for open-files and process limits of 1048576 for a root
# container; raising a hard limit needs CAP_SYS_RESOURCE, which this host's
# root may lack: ask for the limits the runtime will have (this shell's
# open-files limit; the process limit podman sets for itself at start).
podman_conf "$P" "$RT" "$RUNTIME" \
	"default_ulimits = [\"nofile=$(ulimit -Sn):$(ulimit -Hn)\", \"nproc=$NPROC:$NPROC\"]" \
	-- 'lock_type = "file"' 'num_locks = 128' >"$CONTAINERS_CONF"
cat >"$CONTAINERS_STORAGE_CONF" <<TOML
[storage]
driver = "overlay"
graphroot = "$P/root"
runroot = "$P/runroot"
TOML
echo 'unqualified-search-registries = []' >"$CONTAINERS_REGISTRIES_CONF"

podmanc() {
	run_timeout podman --root "$P/root" --runroot "$P/runroot" --runtime "$RT" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
prun() { podmanc run --network none --cgroup-parent "$CG_PARENT" "$@"; }
inspect() { podmanc inspect --format "$1" "$2"; }
# The runtime's default root: Podman passes no --root.
rt_knows() { grep -qx "$1" <<<"$("$RUNTIME" list -q 2>/dev/null)"; }

suite_teardown() {
	local ids id
	ids=$(podman --root "$P/root" --runroot "$P/runroot" ps -aq --no-trunc 2>/dev/null)
	# shellcheck disable=SC2086 # one container id a word
	[ -z "$ids" ] || podmanc rm -f -t 0 $ids >/dev/null 2>&1
	for id in $ALL_IDS; do
		if rt_knows "$id"; then
			fail "teardown: the runtime still has container $id in its default root"
			"$RUNTIME" delete --force "$id" >/dev/null 2>&1
		fi
	done
	podmanc rmi -a -f >/dev/null 2>&1
	podmanc system reset -f >/dev/null 2>&1 # unmounts the storage's own mounts
}
ALL_IDS=""

build_image "$WORK/image.tar"
must "podman load of the locally built image" podmanc load -i "$WORK/image.tar"
check_match "podman load names it" "Loaded image.*berthbox:latest" "$OUT"
check_eq "podman uses the runtime under test" "$RT" "$(podmanc info --format '{{.Host.OCIRuntime.Name}}')"

# --- run --rm, exit codes --------------------------------------------------------
check_eq "run --rm prints stdout" hello "$(prun --rm "$IMAGE" sh -c 'echo hello; echo to-stderr >&2' 2>"$WORK/stderr")"
check_eq "run --rm prints stderr" to-stderr "$(cat "$WORK/stderr")"
check_status "exit code passed through (3)" 3 prun --rm "$IMAGE" sh -c 'exit 3'
# Podman maps the runtime's (JSON) error text to 127 / 126
# (docs/integration.md, "What clients read").
check_status "a missing command: 127" 127 prun --rm "$IMAGE" /no/such/binary
check_status "a command that is not executable: 126" 126 prun --rm "$IMAGE" /etc/passwd
check_eq "run --rm left no container" "" "$(podmanc ps -aq)"

# --- a tty --------------------------------------------------------------------------
out=$(run_timeout script -qefc "podman --root '$P/root' --runroot '$P/runroot' --runtime '$RT' run --rm -t --network none --cgroup-parent '$CG_PARENT' '$IMAGE' sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'" /dev/null </dev/null | tr -d '\r')
check_match "run -t: the process has a pty" '/dev/pts/[0-9]+' "$out"
check_match "run -t: stdin and stdout are the terminal" 'both-tty' "$out"

# --- detached: exec, pause, stop, rm -------------------------------------------------
must "run -d" prun -d --name "$TAG-d" "$IMAGE" sh -c \
	'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 1; done'
id=$OUT
ALL_IDS+=" $id"
check_eq "it is running" running "$(inspect '{{.State.Status}}' "$id")"
pid=$(inspect '{{.State.Pid}}' "$id")
check "host: its pid $pid is alive" pid_alive "$pid"
check_eq "host: it is in the cgroup $CG_PARENT/libpod-<id>" "$CG_PARENT/libpod-$id" "$(pid_cgroup "$pid" memory)"
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
check_eq "host: its parent is conmon" conmon "$(cat "/proc/$ppid/comm")"
check "the runtime under test knows it (default root)" rt_knows "$id"

check_eq "exec: output" exec-ok "$(podmanc exec "$id" sh -c 'echo exec-ok' 2>&1)"
check_status "exec: exit code (6)" 6 podmanc exec "$id" sh -c 'exit 6'
check_eq "exec -u -w -e" "65534 /tmp x" "$(podmanc exec -u 65534 -w /tmp -e V=x "$id" sh -c 'echo $(id -u) $(pwd) $V' 2>&1)"
check_status "exec of a missing command: 127" 127 podmanc exec "$id" /no/such/binary

check "pause" podmanc pause "$id"
check_eq "it is paused" paused "$(inspect '{{.State.Status}}' "$id")"
check_eq "host: the freezer cgroup is FROZEN" FROZEN "$(cg_file freezer "$CG_PARENT/libpod-$id" freezer.state)"
check "unpause" podmanc unpause "$id"
check_eq "it is running again" running "$(inspect '{{.State.Status}}' "$id")"
check_eq "host: the freezer cgroup is THAWED" THAWED "$(cg_file freezer "$CG_PARENT/libpod-$id" freezer.state)"

check "stop" podmanc stop -t 30 "$id"
check_eq "stopped: exit code 0 (it handled SIGTERM)" "exited 0" "$(inspect '{{.State.Status}} {{.State.ExitCode}}' "$id")"
check_match "its log says it got SIGTERM" got-term "$(podmanc logs "$id" 2>&1)"
check "host: its process is gone" sh -c "! kill -0 $pid 2>/dev/null"
check "rm" podmanc rm "$id"
check_eq "no container left" "" "$(podmanc ps -aq)"
check "the runtime no longer knows it" sh -c "! '$RUNTIME' list -q 2>/dev/null | grep -qx '$id'"
check "host: its cgroup is removed" sh -c "! ls -d /sys/fs/cgroup/*/'$CG_PARENT/libpod-$id' 2>/dev/null | grep -q ."
check_match "the events file has its life" "container died.*$TAG-d|$TAG-d.*died|died.*$id" "$(cat "$P/events.log" 2>&1)"

# --- --memory -------------------------------------------------------------------------
must "run -d --memory 64m" prun -d --name "$TAG-mem" --memory 64m "$IMAGE" sleep 1000
id=$OUT
ALL_IDS+=" $id"
check_eq "host: memory.limit_in_bytes" 67108864 "$(cg_file memory "$CG_PARENT/libpod-$id" memory.limit_in_bytes 2>&1)"
check "rm -f" podmanc rm -f -t 0 "$id"
