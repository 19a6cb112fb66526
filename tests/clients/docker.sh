#!/usr/bin/env bash
# Docker (dockerd from Debian's docker.io) with the runtime under test as its
# default runtime, declared in daemon.json "runtimes". The daemon runs on its
# own socket, data root, exec root and pid file, with iptables, bridges and
# IP forwarding off; every container uses --network none. Scenarios: run
# --rm, exit codes, -d + exec + stop + rm, -it through a pty, --memory,
# --pids-limit, --cap-drop ALL, --read-only, --user/--workdir/-e, top,
# pause/unpause, update, restart, kill -s; each checked from the host too.
#
# usage: RUNTIME=/path/to/berth tests/clients/docker.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
clients_setup docker

# The Debian client, the one that goes with the daemon (another docker may be
# first on PATH).
DOCKER=${DOCKER:-/usr/bin/docker}
D=$WORK/docker
RT=under-test # the runtime's name in daemon.json ("runc" is reserved)
CG_PARENT=/$TAG-docker
cgroup_parent "$CG_PARENT"
mkdir -p "$D/client"
export DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$D/client

dockerc() { run_timeout "$DOCKER" "$@"; }
drun() { dockerc run --network none "$@"; }
# The runtime's own view: dockerd 20.10 gives the shim the root
# <exec-root>/runtime-runc whatever the runtime's name, and the shim adds the
# namespace (moby).
rt_list() { "$RUNTIME" --root "$D/exec/runtime-runc/moby" list -q 2>/dev/null | sort | xargs; }
inspect() { dockerc inspect --format "$1" "$2"; }

suite_teardown() {
	[ -S "$D/docker.sock" ] || return 0
	local ids
	ids=$("$DOCKER" ps -aq 2>/dev/null)
	# shellcheck disable=SC2086 # one container id a word
	[ -z "$ids" ] || dockerc rm -f $ids >/dev/null 2>&1
	dockerc rmi -f "$IMAGE" >/dev/null 2>&1
}

build_image "$WORK/image.tar"
# Docker's managed containerd puts its shims' sockets here, as containerd does.
outside_path /run/containerd
outside_path /run/containerd/s
# Plugin discovery has a fixed directory.
outside_path /run/docker
outside_path /run/docker/plugins
mkdir -p "$D"
# (deprecated-key-path: dockerd 20.10 writes an identity key, by default in
# /etc/docker.)
cat >"$D/daemon.json" <<JSON
{
  "runtimes": {"$RT": {"path": "$RUNTIME"}},
  "default-runtime": "$RT",
  "deprecated-key-path": "$D/key.json"
}
JSON
start_daemon dockerd "'$DOCKER' version" \
	dockerd --config-file "$D/daemon.json" \
	--data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/docker.pid" \
	-H "unix://$D/docker.sock" \
	--iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
	--userland-proxy=false --storage-driver overlay2 --cgroup-parent "$CG_PARENT" \
	--exec-opt native.cgroupdriver=cgroupfs --oom-score-adjust 0 --log-level warn

check_eq "docker info: the default runtime is the one under test" "$RT" "$(dockerc info --format '{{.DefaultRuntime}}')"
# dockerd runs the default runtime with --version and parses its "commit:" line.
check_eq "docker info: the runtime's commit, from its --version" \
	"$("$RUNTIME" --version | sed -n 's/^commit: *//p')" "$(dockerc info --format '{{.RuncCommit.ID}}')"
must "docker load of the locally built image" dockerc load -i "$WORK/image.tar"
check_match "docker load names it" "Loaded image: $IMAGE" "$OUT"

# --- run --rm, exit codes ----------------------------------------------------
check_eq "run --rm prints stdout" hello "$(drun --rm "$IMAGE" sh -c 'echo hello; echo to-stderr >&2' 2>"$WORK/stderr")"
check_eq "run --rm prints stderr" to-stderr "$(cat "$WORK/stderr")"
check_status "exit code passed through (3)" 3 drun --rm "$IMAGE" sh -c 'exit 3'
# Docker maps the runtime's error text to 127 / 126 (docs/integration.md,
# "What clients read").
check_status "a missing command: 127" 127 drun --rm "$IMAGE" /no/such/binary
check_status "a command that is not executable: 126" 126 drun --rm "$IMAGE" /etc/passwd
check_eq "run --rm left no container" "" "$(dockerc ps -aq)"

# --- -it through a pty ----------------------------------------------------------
out=$(run_timeout script -qefc "'$DOCKER' run --rm -it --network none '$IMAGE' sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'" /dev/null </dev/null | tr -d '\r')
check_match "run -it: the process has a pty" '/dev/pts/[0-9]+' "$out"
check_match "run -it: stdin and stdout are the terminal" 'both-tty' "$out"
check_status "run -it passes the exit code through" 4 script -qefc "'$DOCKER' run --rm -it --network none '$IMAGE' sh -c 'exit 4'" /dev/null

# --- the user's process settings -------------------------------------------------
check_eq "--user/--workdir/-e" "65534 65534 /work bar" \
	"$(drun --rm --user nobody --workdir /work -e FOO=bar "$IMAGE" sh -c 'echo $(id -u) $(id -g) $(pwd) $FOO' 2>&1)"
check_eq "--cap-drop ALL: no effective capability" "0000000000000000" \
	"$(drun --rm --cap-drop ALL "$IMAGE" sh -c "awk '/^CapEff/ {print \$2}' /proc/self/status" 2>&1)"
check_match "--read-only: the root filesystem is read-only" 'Read-only file system' \
	"$(drun --rm --read-only "$IMAGE" touch /x 2>&1)"
check_eq "--read-only: a --tmpfs is writable" ok "$(drun --rm --read-only --tmpfs /scratch "$IMAGE" sh -c 'touch /scratch/x && echo ok' 2>&1)"

# --- detached: exec, top, pause, kill -s, restart, stop, rm ----------------------
# The process says which signals it got, in its log.
must "run -d" drun -d --name "$TAG-d" "$IMAGE" sh -c \
	'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 1; done'
id=$OUT
check_eq "it is running" running "$(inspect '{{.State.Status}}' "$id")"
pid=$(inspect '{{.State.Pid}}' "$id")
check "host: its pid $pid is alive" pid_alive "$pid"
check_eq "host: it is in the cgroup $CG_PARENT/<id>" "$CG_PARENT/$id" "$(pid_cgroup "$pid" memory)"
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
check_match "host: its parent is the containerd shim" '^containerd-shim' "$(cat "/proc/$ppid/comm")"
check_eq "the runtime under test runs it" "$id" "$(rt_list)"

check_eq "exec: output" "exec-ok" "$(dockerc exec "$id" sh -c 'echo exec-ok' 2>&1)"
check_status "exec: exit code (6)" 6 dockerc exec "$id" sh -c 'exit 6'
check_eq "exec -u -w -e" "65534 /tmp x" "$(dockerc exec -u nobody -w /tmp -e V=x "$id" sh -c 'echo $(id -u) $(pwd) $V' 2>&1)"
check_status "exec of a missing command: 126 (Docker's code for a failed exec)" 126 dockerc exec "$id" /no/such/binary
check_match "exec of a missing command: the runtime's error" 'no such file or directory|executable file not found' "$OUT"
check "exec -d starts a background process" dockerc exec -d "$id" sleep 777
check "top lists it (runtime ps --format json)" wait_for "sleep 777 in docker top" 30 sh -c "'$DOCKER' top '$id' | grep -q 'sleep 777'"
check "host: the exec'd process is in the container's pids cgroup" sh -c \
	"for p in \$(cat /sys/fs/cgroup/pids/'$CG_PARENT/$id'/cgroup.procs); do tr '\\0' ' ' </proc/\$p/cmdline | grep -q '^sleep 777' && exit 0; done; exit 1"

check "pause" dockerc pause "$id"
check_eq "it is paused" paused "$(inspect '{{.State.Status}}' "$id")"
check_eq "host: the freezer cgroup is FROZEN" FROZEN "$(cg_file freezer "$CG_PARENT/$id" freezer.state)"
check "unpause" dockerc unpause "$id"
check_eq "it is running again" running "$(inspect '{{.State.Status}}' "$id")"
check_eq "host: the freezer cgroup is THAWED" THAWED "$(cg_file freezer "$CG_PARENT/$id" freezer.state)"

check "kill -s USR1" dockerc kill -s USR1 "$id"
check "the process got SIGUSR1 (docker logs)" wait_for "got-usr1" 30 sh -c "'$DOCKER' logs '$id' | grep -q got-usr1"
check_eq "it is still running" running "$(inspect '{{.State.Status}}' "$id")"

check "restart" dockerc restart -t 30 "$id"
pid2=$(inspect '{{.State.Pid}}' "$id")
check_eq "it is running after restart" running "$(inspect '{{.State.Status}}' "$id")"
check "host: a new process $pid2, the old one $pid gone" sh -c "[ '$pid2' != '$pid' ] && [ -e /proc/$pid2 ] && ! kill -0 $pid 2>/dev/null"
check_match "the first run ended on SIGTERM (its log)" 'got-term' "$(dockerc logs "$id" 2>&1)"

check "stop" dockerc stop -t 30 "$id"
check_eq "stopped: exit code 0 (it handled SIGTERM)" "exited 0" "$(inspect '{{.State.Status}} {{.State.ExitCode}}' "$id")"
check "host: its process is gone" sh -c "! kill -0 $pid2 2>/dev/null"
check "start it again, then kill (SIGKILL)" sh -c "'$DOCKER' start '$id' >/dev/null && '$DOCKER' kill '$id' >/dev/null"
check "it exits with 137" wait_for "exit 137" 30 sh -c "[ \"\$('$DOCKER' inspect --format '{{.State.ExitCode}}' '$id')\" = 137 ]"
check "rm" dockerc rm "$id"
check_eq "no container left" "" "$(dockerc ps -aq)"
check_eq "the runtime has no container left" "" "$(rt_list)"
check "host: its cgroup is removed" sh -c "! ls -d /sys/fs/cgroup/*/'$CG_PARENT/$id' 2>/dev/null | grep -q ."

check "host: no file of the daemon at the system paths" sh -c "[ ! -e /var/lib/docker ] && [ ! -e /etc/docker/key.json ]"

# --- resources: --memory, --pids-limit, update ------------------------------------
must "run -d --memory 64m --pids-limit 20" drun -d --name "$TAG-res" --memory 64m --pids-limit 20 "$IMAGE" sleep 1000
id=$OUT
check_eq "host: memory.limit_in_bytes" 67108864 "$(cg_file memory "$CG_PARENT/$id" memory.limit_in_bytes 2>&1)"
check_eq "host: pids.max" 20 "$(cg_file pids "$CG_PARENT/$id" pids.max 2>&1)"
check_match "--pids-limit holds inside: the 21st process cannot fork" 'fork|Resource temporarily unavailable|can.t' \
	"$(dockerc exec "$id" sh -c 'for i in $(seq 30); do sleep 5 & done; wait' 2>&1)"
check "update --memory 128m --memory-swap 256m --cpu-shares 512" \
	dockerc update --memory 128m --memory-swap 256m --cpu-shares 512 "$id"
check_eq "host: memory.limit_in_bytes after update" 134217728 "$(cg_file memory "$CG_PARENT/$id" memory.limit_in_bytes 2>&1)"
check_eq "host: cpu.shares after update" 512 "$(cg_file cpu "$CG_PARENT/$id" cpu.shares 2>&1)"
check "rm -f" dockerc rm -f "$id"
