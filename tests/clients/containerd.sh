#!/usr/bin/env bash
# containerd through `ctr` (Debian's 1.6, or 2.4 with CONTAINERD_LANE=2.4:
# containerd2.sh), with the runtime under test as the runc v2 shim's
# binary (`--runc-binary`, the BinaryName runtime option): run --rm with
# output, exit codes, a tty, a detached task with exec + ps + pause/resume +
# kill + delete, and a memory limit; each checked from the host too (the
# task's processes, their parent shim, their cgroups, the runtime's state).
#
# usage: RUNTIME=/path/to/berth tests/clients/containerd.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd_daemon.sh"
clients_setup "containerd$(lane_suffix)"
containerd_lane

NS=$TAG
# ctr's default cgroup path for a container is /<namespace>/<id>.
cgroup_parent "/$NS"
RT_ROOT=$WORK/runtime-root
IMG=docker.io/library/$IMAGE

ctrc() { run_timeout ctr -a "$CTRD_SOCK" -n "$NS" "$@"; }
# ctr keeps its stdio fifos in /run/containerd/fifo unless told otherwise.
FIFOS=$WORK/fifo
ctr_run() { ctrc run --fifo-dir "$FIFOS" --runc-binary "$RUNTIME" --runc-root "$RT_ROOT" "$@"; }
ctr_exec() { ctrc task exec --fifo-dir "$FIFOS" "$@"; }
# task_status ID: RUNNING, PAUSED, STOPPED, ... as `ctr task ls` shows it.
task_status() { ctrc task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
task_pid() { ctrc task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }

suite_teardown() {
	local id
	[ -S "${CTRD_SOCK:-}" ] || return 0
	for id in $(ctrc task ls -q 2>/dev/null); do
		ctrc task kill -a -s SIGKILL "$id" >/dev/null 2>&1
		wait_for "task $id to stop" 30 sh -c "[ \"\$(ctr -a '$CTRD_SOCK' -n '$NS' task ls | awk '\$1 == \"$id\" {print \$3}')\" = STOPPED ]"
		ctrc task rm -f "$id" >/dev/null 2>&1
	done
	for id in $(ctrc container ls -q 2>/dev/null); do
		ctrc container rm "$id" >/dev/null 2>&1
	done
	ctrc image rm "$IMG" >/dev/null 2>&1
	ctr -a "$CTRD_SOCK" namespace rm "$NS" >/dev/null 2>&1
}

build_image "$WORK/image.tar"
start_containerd
must "ctr image import of the locally built image" ctrc image import "$WORK/image.tar"
check "the image is listed under its full name" sh -c "ctr -a '$CTRD_SOCK' -n '$NS' image ls -q | grep -qx '$IMG'"

# --- run --rm: output, exit codes --------------------------------------------
# (stdout and stderr travel through separate fifos: compare them apart.)
out=$(ctr_run --rm "$IMG" "$TAG-out" sh -c 'echo hello; id -u; echo to-stderr >&2' </dev/null 2>"$WORK/stderr")
check_eq "run --rm prints the container's stdout" "hello
0" "$out"
check_eq "run --rm prints the container's stderr" "to-stderr" "$(cat "$WORK/stderr")"
check_status "run --rm passes the exit code through (7)" 7 ctr_run --rm "$IMG" "$TAG-exit" sh -c 'exit 7' </dev/null
check_status "run --rm of a missing command fails" 1 ctr_run --rm "$IMG" "$TAG-nocmd" /no/such/binary </dev/null
# The shim reads the runtime's error from its JSON log (--log-format json).
check_match "ctr shows the runtime's error" '/no/such/binary.*no such file or directory' "$OUT"
check_eq "run --rm left no container" "" "$(ctrc container ls -q)"
check_eq "the runtime's state root holds nothing" "" "$("$RUNTIME" --root "$RT_ROOT/$NS" list -q 2>&1)"

# --- a tty -------------------------------------------------------------------
# ctr -t wants a terminal on its own stdin: script(1) gives it one.
out=$(run_timeout script -qefc "ctr -a '$CTRD_SOCK' -n '$NS' run --rm -t --fifo-dir '$FIFOS' --runc-binary '$RUNTIME' --runc-root '$RT_ROOT' '$IMG' '$TAG-tty' sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'" /dev/null </dev/null | tr -d '\r')
# (The first line may start with the terminal's echo of a stray byte, "^@".)
check_match "run -t gives the process a pty" '/dev/pts/[0-9]+$' "$(echo "$out" | head -1)"
check_match "run -t: stdin and stdout are the terminal" 'both-tty' "$out"

# --- detached: exec, ps, pause/resume, kill, delete --------------------------
id=$TAG-d
must "run -d starts a task" ctr_run -d "$IMG" "$id" sleep 1000
check_eq "ctr task ls shows it RUNNING" RUNNING "$(task_status "$id")"
pid=$(task_pid "$id")
check "the task's pid $pid is alive on the host" pid_alive "$pid"
check_eq "host: the process is the image's sleep" "sleep 1000" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')"
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
check_match "host: its parent is the containerd shim" '^containerd-shim' "$(cat "/proc/$ppid/comm")"
check "host: the shim is the $CTRD_LANE lane's ($CTRD_DIR)" shim_is_lanes "$ppid"
for c in memory pids freezer cpu; do
	check_eq "host: it is in the $c cgroup /$NS/$id" "/$NS/$id" "$(pid_cgroup "$pid" $c)"
done
check "the runtime under test knows the container (list in the shim's --root)" \
	sh -c "'$RUNTIME' --root '$RT_ROOT/$NS' list -q | grep -qx '$id'"
check_eq "the runtime's state says running" running "$("$RUNTIME" --root "$RT_ROOT/$NS" state "$id" | jq -r .status)"

check_status "task exec: output and exit code (3)" 3 ctr_exec --exec-id x1 "$id" sh -c 'echo exec-ok; exit 3'
check_eq "task exec output" exec-ok "$OUT"
check "task exec -d starts a second process" ctr_exec -d --exec-id x2 "$id" sleep 999
wait_for "the exec'd process" 30 sh -c "ctr -a '$CTRD_SOCK' -n '$NS' task ps '$id' | tail -n +2 | wc -l | grep -qx 2"
ps_pids=$(ctrc task ps "$id" | awk 'NR > 1 { print $1 }' | sort -n | xargs)
host_pids=$(sort -n "/sys/fs/cgroup/pids/$NS/$id/cgroup.procs" | xargs)
check_eq "task ps lists the two processes the host sees in the cgroup" "$host_pids" "$ps_pids"
check_match "task ps: two processes" '^[0-9]+ [0-9]+$' "$ps_pids"

check "task pause" ctrc task pause "$id"
check_eq "ctr shows it PAUSED" PAUSED "$(task_status "$id")"
check_eq "host: the freezer cgroup is FROZEN" FROZEN "$(cg_file freezer "$NS/$id" freezer.state)"
check_eq "the runtime's state says paused" paused "$("$RUNTIME" --root "$RT_ROOT/$NS" state "$id" | jq -r .status)"
check "task resume" ctrc task resume "$id"
check_eq "ctr shows it RUNNING again" RUNNING "$(task_status "$id")"
check_eq "host: the freezer cgroup is THAWED" THAWED "$(cg_file freezer "$NS/$id" freezer.state)"
check "exec works after resume" ctr_exec --exec-id x3 "$id" true

check "task kill --all -s SIGKILL" ctrc task kill -a -s SIGKILL "$id"
check "the task stops" wait_for "STOPPED" 60 sh -c "[ \"\$(ctr -a '$CTRD_SOCK' -n '$NS' task ls | awk '\$1 == \"$id\" {print \$3}')\" = STOPPED ]"
check "host: the task's processes are gone" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
check "task rm" ctrc task rm "$id"
check "container rm" ctrc container rm "$id"
check "host: the container's cgroups are removed" sh -c "! ls -d /sys/fs/cgroup/*/'$NS/$id' 2>/dev/null | grep -q ."
check_eq "the runtime no longer knows it" "" "$("$RUNTIME" --root "$RT_ROOT/$NS" list -q 2>&1)"

# --- memory limit -------------------------------------------------------------
id=$TAG-mem
check "run -d --memory-limit 64MiB" ctr_run -d --memory-limit 67108864 "$IMG" "$id" sleep 1000
check_eq "host: memory.limit_in_bytes of /$NS/$id" 67108864 "$(cg_file memory "$NS/$id" memory.limit_in_bytes 2>&1)"
check "kill and delete it" sh -c "ctr -a '$CTRD_SOCK' -n '$NS' task kill -s SIGKILL '$id' &&
	for i in \$(seq 120); do ctr -a '$CTRD_SOCK' -n '$NS' task rm '$id' >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1"
check "container rm" ctrc container rm "$id"
