#!/usr/bin/env bash
# containerd's CRI, the path a Kubernetes node takes: the runtime under test
# is a CRI runtime handler (what a RuntimeClass names) of type
# io.containerd.runc.v2 with BinaryName pointing at it. One pod sandbox
# (host network, so no CNI; its pause image built here from pause/pause.c)
# with one container: exec, logs, stop, remove; checked from the host too.
#
# The client is tools/cri, a small CRI client with crictl's command names:
# crictl's module (sigs.k8s.io/cri-tools) is not available from the module
# proxy this project reaches, so the test speaks runtime.v1 itself.
#
# usage: RUNTIME=/path/to/berth tests/clients/cri.sh (RUNTIME=/usr/sbin/runc works too)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd_daemon.sh"
clients_setup cri

PAUSE_IMAGE=berth.local/pause:1
IMG=docker.io/library/$IMAGE
HANDLER=$RUNTIME_NAME
RT_ROOT=$WORK/runtime-root
CG_PARENT=/$TAG-pods
cgroup_parent "$CG_PARENT"

cri() { run_timeout "$CACHE/bin/cri" -r "unix://$CTRD_SOCK" "$@"; }
# The runtime's own view: the shim runs it with --root $RT_ROOT/k8s.io.
rt_list() { "$RUNTIME" --root "$RT_ROOT/k8s.io" list -q 2>/dev/null | sort | xargs; }

suite_teardown() {
	local id
	[ -S "${CTRD_SOCK:-}" ] || return 0
	for id in $(cri pods 2>/dev/null | awk '{print $1}'); do
		cri stopp "$id" >/dev/null 2>&1
		cri rmp "$id" >/dev/null 2>&1
	done
	ctr -a "$CTRD_SOCK" -n k8s.io image rm "$IMG" "$PAUSE_IMAGE" >/dev/null 2>&1
}

build_image "$WORK/image.tar"
build_pause_image "$WORK/pause.tar" "$PAUSE_IMAGE"
# CAP_SYS_RESOURCE is capability 24.
RESTRICT_OOM=false
(( (0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1 )) || RESTRICT_OOM=true
mkdir -p "$WORK/cni/conf" "$WORK/cni/bin" "$WORK/pod-logs"
start_containerd "
[plugins.\"io.containerd.grpc.v1.cri\"]
  sandbox_image = \"$PAUSE_IMAGE\"
  enable_selinux = false
  # The sandbox asks for oom_score_adj -998; lowering a score below one's
  # own needs CAP_SYS_RESOURCE, which this host's root may lack (check
  # CapEff in /proc/self/status): keep scores at or above containerd's own.
  restrict_oom_score_adj = $RESTRICT_OOM
  stream_server_address = \"127.0.0.1\"
  stream_server_port = \"0\"
  [plugins.\"io.containerd.grpc.v1.cri\".cni]
    bin_dir = \"$WORK/cni/bin\"
    conf_dir = \"$WORK/cni/conf\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd]
    snapshotter = \"overlayfs\"
    default_runtime_name = \"$HANDLER\"
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$HANDLER]
      runtime_type = \"io.containerd.runc.v2\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$HANDLER.options]
        BinaryName = \"$RUNTIME\"
        Root = \"$RT_ROOT\"
        SystemdCgroup = false
"
check "the CRI answers" cri version
check "import the pause image into k8s.io" ctr -a "$CTRD_SOCK" -n k8s.io image import "$WORK/pause.tar"
check "import the busybox image into k8s.io" ctr -a "$CTRD_SOCK" -n k8s.io image import "$WORK/image.tar"
check "the CRI lists both images" wait_for "CRI images" 30 sh -c "'$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' images | grep -q '$PAUSE_IMAGE' && '$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' images | grep -q '$IMG'"

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
# The process stops itself on SIGTERM (as pid 1 it has no default action),
# and says so in its log.
cat >"$WORK/ctr.json" <<'JSON'
{
  "metadata": {"name": "box"},
  "image": {"image": "docker.io/library/berthbox:latest"},
  "command": ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo started; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"],
  "envs": [{"key": "GREETING", "value": "hello-cri"}],
  "log_path": "box.log",
  "linux": {}
}
JSON

must "runp starts a pod sandbox with the $HANDLER handler" cri runp -runtime "$HANDLER" "$WORK/pod.json"
pod=$OUT
check_eq "the sandbox is ready" SANDBOX_READY "$(cri inspectp "$pod" | jq -r .state)"
ppid_=$(cri inspectp "$pod" | jq -r .info.pid)
must "host: the sandbox's pause process $ppid_ is alive" pid_alive "$ppid_"
check_eq "host: it runs the pause binary" pause "$(cat "/proc/$ppid_/comm" 2>&1)"
check_eq "host: it is in the cgroup $CG_PARENT/<pod id>" "$CG_PARENT/$pod" "$(pid_cgroup "$ppid_" memory)"
check_eq "host: host network, as asked" "$(readlink /proc/self/ns/net)" "$(readlink "/proc/$ppid_/ns/net")"

# --- a container in it ---------------------------------------------------------
must "create a container in the pod" cri create "$pod" "$WORK/ctr.json" "$WORK/pod.json"
ctr=$OUT
must "start it" cri start "$ctr"
check_eq "it is running" CONTAINER_RUNNING "$(cri inspect "$ctr" | jq -r .state)"
cpid=$(cri inspect "$ctr" | jq -r .info.pid)
check "host: its process $cpid is alive" pid_alive "$cpid"
check_eq "host: it is in the cgroup $CG_PARENT/<container id>" "$CG_PARENT/$ctr" "$(pid_cgroup "$cpid" memory)"
for ns in ipc uts net; do
	check_eq "host: it shares the pod's $ns namespace" "$(readlink "/proc/$ppid_/ns/$ns")" "$(readlink "/proc/$cpid/ns/$ns")"
done
check_eq "the runtime under test runs the sandbox and the container" "$(printf '%s\n' "$pod" "$ctr" | sort | xargs)" "$(rt_list)"

check "exec prints the command's output" cri exec "$ctr" sh -c 'echo exec-ok; hostname; echo $GREETING'
check_eq "exec: output, the host's name (host network), the container's env" "exec-ok
$(hostname)
hello-cri" "$OUT"
check_status "exec passes the exit code through (5)" 5 cri exec "$ctr" sh -c 'exit 5'
check "exec sees /etc/hosts and /dev/shm from the sandbox" cri exec "$ctr" sh -c 'test -s /etc/hosts && grep -q " /dev/shm " /proc/mounts'

check "logs: the container's output arrives in its log" wait_for "tick 2 in the log" 60 sh -c "'$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' logs '$ctr' | grep -qx 'tick 2'"
check_eq "logs: the first line" started "$(cri logs "$ctr" | head -1)"
check_eq "the log file is where the pod said" 1 "$(ls "$WORK/pod-logs/box.log" 2>/dev/null | wc -l)"

check "stop the container (SIGTERM, 30s grace)" cri stop -t 30 "$ctr"
check_eq "it has exited" CONTAINER_EXITED "$(cri inspect "$ctr" | jq -r .state)"
check_eq "its exit code is 0 (it handled SIGTERM)" 0 "$(cri inspect "$ctr" | jq -r .exit_code)"
check_match "logs: it got SIGTERM" 'got-term' "$(cri logs "$ctr")"
check "host: its process is gone" sh -c "! kill -0 $cpid 2>/dev/null"
check "remove the container" cri rm "$ctr"
check_eq "the pod has no container" "" "$(cri ps -p "$pod")"
check "host: its cgroup is removed" sh -c "! ls -d /sys/fs/cgroup/*/'$CG_PARENT/$ctr' 2>/dev/null | grep -q ."

# A container whose init exits and leaves a child behind: in the shared pid
# namespace the child outlives init, and the shim kills it with the
# runtime's `kill --all` on the stopped container.
cat >"$WORK/orphan.json" <<'JSON'
{
  "metadata": {"name": "orphan"},
  "image": {"image": "docker.io/library/berthbox:latest"},
  "command": ["sh", "-c", "sleep 1717 & echo left a child; sleep 1"],
  "log_path": "orphan.log",
  "linux": {}
}
JSON
must "create and start a container that leaves a child" sh -c \
	"id=\$('$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' create '$pod' '$WORK/orphan.json' '$WORK/pod.json') && '$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' start \$id && echo \$id"
orphan=$(echo "$OUT" | tail -1)
check "it exits" wait_for "orphan to exit" 60 sh -c "'$CACHE/bin/cri' -r 'unix://$CTRD_SOCK' inspect '$orphan' | jq -e '.state == \"CONTAINER_EXITED\"'"
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

check "stop the pod" cri stopp "$pod"
check_eq "the sandbox is not ready" SANDBOX_NOTREADY "$(cri inspectp "$pod" | jq -r .state)"
check "host: the pause process is gone" sh -c "! kill -0 $ppid_ 2>/dev/null"
check "remove the pod" cri rmp "$pod"
check_eq "no pod is left" "" "$(cri pods)"
check_eq "the runtime has no container left" "" "$(rt_list)"
check "host: the pod's cgroups are removed" sh -c "! ls -d /sys/fs/cgroup/*/'$CG_PARENT/$pod' 2>/dev/null | grep -q ."
