#!/usr/bin/env bash
# containerd's CRI, the path a Kubernetes node takes, driven by crictl (the
# CRI's own command-line client, built by build.sh): the runtime under test
# is a CRI runtime handler (what a RuntimeClass names) of type
# io.containerd.runc.v2 with BinaryName pointing at it. A pod sandbox (host
# network, so no CNI; its pause image built here from pause/pause.c) with a
# container in it: streaming exec, exec probes (ExecSync, with a timeout),
# logs, stats, an in-place resource update, stop, remove; a container whose
# init leaves a child; the pod's stop and removal. Each is checked from the
# host too (processes, namespaces, cgroups, the runtime's own state).
#
# Debian's containerd 1.6 by default; CONTAINERD_LANE=2.4 (cri2.sh) runs the
# same scenarios against containerd 2.4.
#
# usage: RUNTIME=/path/to/berth tests/clients/cri.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd_daemon.sh"
clients_setup "cri$(lane_suffix)"
containerd_lane
GO=$GO CLIENTS_CACHE=$CACHE "$CLIENTS_DIR/build.sh" || { echo "$SUITE: building crictl failed" >&2; exit 1; }
. "$CLIENTS_DIR/cri_lib.sh"

cri_prepare
start_containerd "$(cri_toml)"
cri_connect

# --- the pod sandbox -----------------------------------------------------------
cat >"$WORK/pod.json" <<JSON
{
  "metadata": {"name": "$TAG-pod", "namespace": "default", "uid": "$TAG-uid", "attempt": 0},
  "log_directory": "$WORK/pod-logs",
  "linux": {
    "cgroup_parent": "$CG_PARENT",
    "security_context": {"namespace_options": {"network": 2, "pid": 0}}
  }
}
JSON
# (network 2 = NODE: the host's network, no CNI; pid 0 = POD: the containers
# share the sandbox's pid namespace, as with Kubernetes'
# shareProcessNamespace, so containerd's shim cleans up after a container's
# init with `kill --all`.)
# The container stops itself on SIGTERM (as pid 1 it has no default
# action), and says so in its log. Its limits are what a pod's resources
# become: 64 MiB of memory, half a CPU's shares.
cat >"$WORK/ctr.json" <<JSON
{
  "metadata": {"name": "box"},
  "image": {"image": "$IMG"},
  "command": ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo started; i=0; while true; do echo tick \$i; i=\$((i+1)); sleep 1; done"],
  "envs": [{"key": "GREETING", "value": "hello-cri"}],
  "log_path": "box.log",
  "linux": {"resources": {"memory_limit_in_bytes": 67108864, "cpu_shares": 512}}
}
JSON

must "runp starts a pod sandbox with the $HANDLER handler" cri runp --runtime "$HANDLER" "$WORK/pod.json"
pod=$OUT
check_eq "the sandbox is ready" SANDBOX_READY "$(pod_state "$pod")"
check_eq "crictl pods lists it" "$pod" "$(cri pods -q)"
ppid_=$(cri inspectp -o json "$pod" | jq -r .info.pid)
must "host: the sandbox's pause process $ppid_ is alive" pid_alive "$ppid_"
check_eq "host: it runs the pause binary" pause "$(cat "/proc/$ppid_/comm" 2>&1)"
check "host: its parent is the $CTRD_LANE lane's shim" shim_is_lanes "$(awk '/^PPid:/ {print $2}' "/proc/$ppid_/status")"
check_eq "host: it is in the cgroup $CG_PARENT/<pod id>" "$CG_PARENT/$pod" "$(pid_cgroup "$ppid_" memory)"
check_eq "host: host network, as asked" "$(readlink /proc/self/ns/net)" "$(readlink "/proc/$ppid_/ns/net")"

# --- a container in it ---------------------------------------------------------
must "create a container in the pod" cri create "$pod" "$WORK/ctr.json" "$WORK/pod.json"
ctr=$OUT
must "start it" cri start "$ctr"
check_eq "it is running" CONTAINER_RUNNING "$(state "$ctr")"
check_eq "crictl ps -p lists it in the pod" "$ctr" "$(cri ps -q -p "$pod")"
cpid=$(cri inspect -o json "$ctr" | jq -r .info.pid)
check "host: its process $cpid is alive" pid_alive "$cpid"
check_eq "host: it is in the cgroup $CG_PARENT/<container id>" "$CG_PARENT/$ctr" "$(pid_cgroup "$cpid" memory)"
for ns in ipc uts net pid; do
	check_eq "host: it shares the pod's $ns namespace" "$(readlink "/proc/$ppid_/ns/$ns")" "$(readlink "/proc/$cpid/ns/$ns")"
done
check_eq "host: memory.limit_in_bytes is the container's 64 MiB" 67108864 "$(cg_file memory "$CG_PARENT/$ctr" memory.limit_in_bytes 2>&1)"
check_eq "host: cpu.shares is the container's 512" 512 "$(cg_file cpu "$CG_PARENT/$ctr" cpu.shares 2>&1)"
check_eq "the runtime under test runs the sandbox and the container" "$(printf '%s\n' "$pod" "$ctr" | sort | xargs)" "$(rt_list)"

# --- exec: streaming (kubectl exec's path) and synchronous (exec probes) --------
check "exec prints the command's output" cri exec "$ctr" sh -c 'echo exec-ok; hostname; echo $GREETING'
check_eq "exec: output, the host's name (host network), the container's env" "exec-ok
$(hostname)
hello-cri" "$OUT"
# (crictl itself exits 1 whatever the command's code, and names the code.)
check_status "exec of a command that exits 5 fails" 1 cri exec "$ctr" sh -c 'exit 5'
check_match "exec: the command's exit code (5) comes through" 'with exit code 5' "$OUT"
check "exec sees /etc/hosts and /dev/shm from the sandbox" cri exec "$ctr" sh -c 'test -s /etc/hosts && grep -q " /dev/shm " /proc/mounts'
check "exec sees the pod's processes (the sandbox's pause, shared pid namespace)" cri exec "$ctr" sh -c 'grep -qx pause /proc/1/comm'
# A kubelet exec probe is ExecSync with the probe's timeout.
check "exec probe (--sync): a passing command succeeds" cri exec --sync --timeout 10 "$ctr" sh -c 'test -d /proc/1'
check_match "exec probe (--sync): its output" '^probe-out' "$(cri exec --sync --timeout 10 "$ctr" echo probe-out 2>&1)"
check_status "exec probe (--sync): a failing command fails" 1 cri exec --sync --timeout 10 "$ctr" sh -c 'exit 3'
check_match "exec probe (--sync): its exit code (3) comes through" 'exited with 3' "$OUT"
probe_sleep() {
	local p
	for p in $(procs_in_cgroups); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q '^sleep 4242' && return 0
	done
	return 1
}
check_status "exec probe (--sync) that outlives its 2s timeout fails" 1 cri exec --sync --timeout 2 "$ctr" sleep 4242
check_match "exec probe timeout: the CRI says so" 'timeout|deadline' "$OUT"
check "host: the timed-out probe's process is killed" wait_for "sleep 4242 to go" 30 eval '! probe_sleep'

# --- logs, stats, an in-place update ---------------------------------------------
logs_tick2() { grep -qx 'tick 2' <<<"$(cri logs "$ctr")"; }
check "logs: the container's output arrives in its log" wait_for "tick 2 in the log" 60 logs_tick2
check_eq "logs: the first line" started "$(cri logs "$ctr" | head -1)"
check_eq "logs --tail 1: one line" 1 "$(cri logs --tail 1 "$ctr" | wc -l)"
check_eq "the log file is where the pod said" 1 "$(find "$WORK/pod-logs" -maxdepth 1 -name box.log 2>/dev/null | wc -l)"

# containerd reads the stats from the container's cgroup, which the runtime
# made: they must be the host's numbers for that cgroup.
stats=$(cri stats -o json --id "$ctr" 2>&1)
cpu=$(jq -r '.stats[0].cpu.usageCoreNanoSeconds.value // empty' <<<"$stats")
mem=$(jq -r '.stats[0].memory.workingSetBytes.value // empty' <<<"$stats")
host_cpu=$(cg_file cpuacct "$CG_PARENT/$ctr" cpuacct.usage 2>&1)
host_peak=$(cg_file memory "$CG_PARENT/$ctr" memory.max_usage_in_bytes 2>&1)
check_eq "stats: the container's id" "$ctr" "$(jq -r '.stats[0].attributes.id' <<<"$stats")"
check "stats: cpu time, more than 0 and at most the host's cpuacct.usage ($host_cpu) since" \
	test "${cpu:-0}" -gt 0 -a "${cpu:-0}" -le "$host_cpu"
check "stats: a working set, more than 0 and at most the host's memory.max_usage_in_bytes ($host_peak)" \
	test "${mem:-0}" -gt 0 -a "${mem:-0}" -le "$host_peak"
check_eq "statsp: the pod's stats name the pod" "$pod" "$(cri statsp -o json --id "$pod" 2>&1 | jq -r '.stats[0].attributes.id')"

# An in-place resize (UpdateContainerResources: the runtime's `update`).
check "update --memory 128 MiB --cpu-share 1024" cri update --memory 134217728 --cpu-share 1024 "$ctr"
check_eq "host: memory.limit_in_bytes is now 128 MiB" 134217728 "$(cg_file memory "$CG_PARENT/$ctr" memory.limit_in_bytes 2>&1)"
check_eq "host: cpu.shares is now 1024" 1024 "$(cg_file cpu "$CG_PARENT/$ctr" cpu.shares 2>&1)"
check_eq "inspect shows the new memory limit" 134217728 "$(cri inspect -o json "$ctr" | jq -r '.status.resources.linux.memoryLimitInBytes')"

# --- stop, remove --------------------------------------------------------------
check "stop the container (SIGTERM, 30s grace)" cri stop --timeout 30 "$ctr"
check_eq "it has exited" CONTAINER_EXITED "$(state "$ctr")"
check_eq "its exit code is 0 (it handled SIGTERM)" 0 "$(cri inspect -o json "$ctr" | jq -r '.status.exitCode // 0')"
check_match "logs: it got SIGTERM" 'got-term' "$(cri logs "$ctr")"
check "host: its process is gone" sh -c "! kill -0 $cpid 2>/dev/null"
check "remove the container" cri rm "$ctr"
check_eq "the pod has no container" "" "$(cri ps -a -q -p "$pod")"
check "host: its cgroup is removed" cgroup_gone "$CG_PARENT/$ctr"

# A container whose init exits and leaves a child behind: in the shared pid
# namespace the child outlives init, and the shim kills it with the
# runtime's `kill --all` on the stopped container.
cat >"$WORK/orphan.json" <<JSON
{
  "metadata": {"name": "orphan"},
  "image": {"image": "$IMG"},
  "command": ["sh", "-c", "sleep 1717 & echo left a child; sleep 1"],
  "log_path": "orphan.log",
  "linux": {}
}
JSON
must "create a container that leaves a child" cri create "$pod" "$WORK/orphan.json" "$WORK/pod.json"
orphan=$OUT
must "start it" cri start "$orphan"
orphan_exited() { [ "$(state "$orphan")" = CONTAINER_EXITED ]; }
check "it exits" wait_for "orphan to exit" 60 orphan_exited
orphan_left() {
	local p
	for p in $(procs_in_cgroups); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q '^sleep 1717' && return 0
	done
	return 1
}
check "host: its child is gone after its init's exit" wait_for "sleep 1717 to go" 30 eval '! orphan_left'
check "the shim's kill --all after init's exit succeeded (containerd's log)" \
	sh -c "! grep \"failed to kill init's children\" '$LOGDIR/containerd.log'"
check "remove it" cri rm "$orphan"

# --- the pod's end ---------------------------------------------------------------
check "stop the pod" cri stopp "$pod"
check_eq "the sandbox is not ready" SANDBOX_NOTREADY "$(pod_state "$pod")"
check "host: the pause process is gone" sh -c "! kill -0 $ppid_ 2>/dev/null"
check "remove the pod" cri rmp "$pod"
check_eq "no pod is left" "" "$(cri pods -q)"
check_eq "the runtime has no container left" "" "$(rt_list)"
check "host: the pod's cgroups are removed" cgroup_gone "$CG_PARENT/$pod"
