#!/usr/bin/env bash
# A Kubernetes pod with user namespaces (hostUsers: false) through
# containerd 2.4's CRI and crictl, with the runtime under test as the CRI
# runtime handler: the pod sandbox asks for a pod-level user namespace
# (namespace_options.userns_options, mode POD) with one mapping of 65536 ids
# as a kubelet makes (container 0 -> host 65536*N), and a container in it
# mounts an emptyDir-like host directory with the same mappings, which
# containerd turns into an id-mapped bind (mounts[].uidMappings/gidMappings).
#
# containerd makes the pod's network namespace inside a user namespace of
# the pod's mapping (so that it is not owned by the host's) and runs CNI in
# it: the pod network here is a CNI plugin of this directory's own
# (cni_podnet.sh) that gives the pod an eth0 in that namespace (a veth pair
# whose both ends stay there), nothing on the host.
#
# Checked inside (uid_map, id, the image's files owned by root, the volume's
# owners through the id-mapped mount, what a write lands as on disk) and on
# the host (the processes' uids and gids are the mapped ones, the container
# and the sandbox share one user namespace that is not the host's, and the
# network namespace containerd made for the pod).
#
# usage: RUNTIME=/path/to/berth tests/clients/cri2_userns.sh
CONTAINERD_LANE=2.4
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd_daemon.sh"
clients_setup cri2_userns
containerd_lane
GO=$GO CLIENTS_CACHE=$CACHE "$CLIENTS_DIR/build.sh" || { echo "$SUITE: building crictl failed" >&2; exit 1; }

. "$CLIENTS_DIR/cri_lib.sh"
# The pod's ids on the host: a block of 65536 at a multiple of 65536, as the
# kubelet hands out (chosen per run, away from the host's own users).
HOST_ID=$((65536 * (16 + RANDOM % 240)))
NIDS=65536
# The pod's address, given by cni_podnet.sh to the pod's eth0.
POD_IP=10.254.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))

# in_ctr CMD...: CMD's output in the container (an exec probe's path).
in_ctr() { cri exec --sync --timeout 20 "$ctr" "$@" 2>&1; }
# ns_inode PID TYPE: the inode of PID's TYPE namespace.
ns_inode() { readlink "/proc/$1/ns/$2" | tr -dc 0-9; }
# ids_of PID: "ruid euid rgid egid" of PID as the host sees them.
ids_of() { awk '/^Uid:/ {u = $2 " " $3} /^Gid:/ {g = $2 " " $3} END {print u, g}' "/proc/$1/status"; }

cri_prepare

# The pod network: one CNI plugin, installed under both names containerd
# calls (its own "loopback" network for lo, and ours for eth0).
install -m 0755 "$CLIENTS_DIR/cni_podnet.sh" "$WORK/cni/bin/loopback"
install -m 0755 "$CLIENTS_DIR/cni_podnet.sh" "$WORK/cni/bin/berth-podnet"
cat >"$WORK/cni/conf/10-berth.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "berth-podnet",
 "plugins": [{"type": "berth-podnet", "address": "$POD_IP/32", "log": "$WORK/cni.log"}]}
JSON

# As cri2.sh's config, with the network namespaces containerd makes kept
# under its state directory (WORK), not /var/run/netns.
start_containerd "$(cri_toml "netns_mounts_under_state_dir = true")"
cri_connect
# containerd asks the runtime's `features` whether it can id-map mounts
# before it runs a pod with a user namespace.
check_eq "the runtime's features: the user namespace" user "$("$RUNTIME" features | jq -r '.linux.namespaces[] | select(. == "user")')"
check_eq "the runtime's features: id-mapped mounts" true "$("$RUNTIME" features | jq -r '.linux.mountExtensions.idmap.enabled')"
net_ready() { [ "$(cri info -o json | jq -r '.status.conditions[] | select(.type == "NetworkReady") | .status')" = true ]; }
check "the CRI's network is ready (our CNI config is loaded)" wait_for "NetworkReady" 30 net_ready

# The volume: an emptyDir-like host directory with files owned by the host's
# root and by 1000; a second one, writable by anyone, bound without
# mappings (a volume without idmap: the container's writes land as the
# mapped host ids).
mkdir -p "$WORK/vol" "$WORK/plain"
echo host >"$WORK/vol/from-host"
echo user >"$WORK/vol/of-1000"
chown 1000:1000 "$WORK/vol/of-1000"
chmod 0777 "$WORK/plain"

# --- the pod sandbox: hostUsers: false ------------------------------------------
idmaps="[{\"container_id\": 0, \"host_id\": $HOST_ID, \"length\": $NIDS}]"
cat >"$WORK/pod.json" <<JSON
{
  "metadata": {"name": "$TAG-pod", "namespace": "default", "uid": "$TAG-uid", "attempt": 0},
  "log_directory": "$WORK/pod-logs",
  "linux": {
    "cgroup_parent": "$CG_PARENT",
    "security_context": {"namespace_options": {"network": 0, "pid": 1, "ipc": 0,
      "userns_options": {"mode": 0, "uids": $idmaps, "gids": $idmaps}}}
  }
}
JSON
# (network 0 = POD: a network namespace of the pod's, made by containerd;
# pid 1 = CONTAINER; userns_options mode 0 = POD: what the kubelet sends for
# hostUsers: false, with the same mappings for the pod's containers.)
cat >"$WORK/ctr.json" <<JSON
{
  "metadata": {"name": "box"},
  "image": {"image": "$IMG"},
  "command": ["sh", "-c", "echo started; exec sleep 3600"],
  "log_path": "box.log",
  "mounts": [
    {"container_path": "/vol", "host_path": "$WORK/vol", "uidMappings": $idmaps, "gidMappings": $idmaps},
    {"container_path": "/plain", "host_path": "$WORK/plain"}
  ],
  "linux": {"security_context": {"namespace_options": {"network": 0, "pid": 1, "ipc": 0,
    "userns_options": {"mode": 0, "uids": $idmaps, "gids": $idmaps}}}}
}
JSON

must "runp starts a pod sandbox with a user namespace (hostUsers: false)" cri runp --runtime "$HANDLER" "$WORK/pod.json"
pod=$OUT
check_eq "the sandbox is ready" SANDBOX_READY "$(pod_state "$pod")"
ppid_=$(cri inspectp -o json "$pod" | jq -r .info.pid)
must "host: the sandbox's pause process $ppid_ is alive" pid_alive "$ppid_"
check "host: its parent is the $CTRD_LANE lane's shim" shim_is_lanes "$(awk '/^PPid:/ {print $2}' "/proc/$ppid_/status")"
check_eq "host: the pause process runs as the pod's host ids" "$HOST_ID $HOST_ID $HOST_ID $HOST_ID" "$(ids_of "$ppid_")"
check_eq "host: its uid_map is the pod's mapping" "0 $HOST_ID $NIDS" "$(xargs <"/proc/$ppid_/uid_map")"
check_eq "host: its gid_map is the pod's mapping" "0 $HOST_ID $NIDS" "$(xargs <"/proc/$ppid_/gid_map")"
check "host: its user namespace is not the host's" test "$(ns_inode "$ppid_" user)" != "$(ns_inode 1 user)"
check_eq "the pod's IP is the one the CNI plugin gave eth0" "$POD_IP" "$(cri inspectp -o json "$pod" | jq -r .status.network.ip)"
netns_path=$(cri inspectp -o json "$pod" | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path')
check_match "containerd made the pod's network namespace under its state dir" "^$WORK/" "$netns_path"
check_eq "host: the pause process is in that network namespace" "$(stat -L -c %i "$netns_path" 2>&1)" "$(ns_inode "$ppid_" net)"
# containerd made it from inside a user namespace of the pod's mapping, so
# that the host's user namespace does not own it.
net_owner=$(lsns -n -t net -o NS,ONS | awk -v ns="$(ns_inode "$ppid_" net)" '$1 == ns {print $2}')
check "host: the pod's network namespace is owned by a user namespace that is not the host's ($net_owner)" \
	test -n "$net_owner" -a "$net_owner" != "$(ns_inode 1 user)"

# --- a container in it ---------------------------------------------------------
must "create a container in the pod (an id-mapped volume)" cri create "$pod" "$WORK/ctr.json" "$WORK/pod.json"
ctr=$OUT
must "start it" cri start "$ctr"
check_eq "it is running" CONTAINER_RUNNING "$(state "$ctr")"
cpid=$(cri inspect -o json "$ctr" | jq -r .info.pid)
check "host: its process $cpid is alive" pid_alive "$cpid"
check_eq "host: it is in the cgroup $CG_PARENT/<container id>" "$CG_PARENT/$ctr" "$(pid_cgroup "$cpid" memory)"
spec=$(cri inspect -o json "$ctr" | jq -c .info.runtimeSpec)
check_eq "the container's spec asks the runtime to join the pod's user namespace" \
	"/proc/$ppid_/ns/user" "$(jq -r '.linux.namespaces[] | select(.type == "user") | .path' <<<"$spec")"
check_eq "the container's spec has the volume with the pod's mappings" "0 $HOST_ID $NIDS" \
	"$(jq -r '.mounts[] | select(.destination == "/vol") | .uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' <<<"$spec")"

# From the host: the container's processes run as the mapped ids.
check_eq "host: ps -o uid,gid of the container's process: the pod's host ids" "$HOST_ID $HOST_ID" "$(ps -o uid=,gid= -p "$cpid" | xargs)"
check_eq "host: its real and effective ids are the pod's host ids" "$HOST_ID $HOST_ID $HOST_ID $HOST_ID" "$(ids_of "$cpid")"
for ns in user net ipc uts; do
	check_eq "host: it shares the pod's $ns namespace" "$(ns_inode "$ppid_" $ns)" "$(ns_inode "$cpid" $ns)"
done
check "host: its pid namespace is its own (pid: CONTAINER)" test "$(ns_inode "$ppid_" pid)" != "$(ns_inode "$cpid" pid)"

# From inside.
check_eq "inside: /proc/self/uid_map is the pod's mapping" "0 $HOST_ID $NIDS" "$(in_ctr cat /proc/self/uid_map | xargs)"
check_eq "inside: /proc/self/gid_map is the pod's mapping" "0 $HOST_ID $NIDS" "$(in_ctr cat /proc/self/gid_map | xargs)"
check_eq "inside: id is root" "uid=0(root) gid=0(root)" "$(in_ctr id | awk 'NR == 1 {print $1, $2}')"
check_eq "inside: the image's files are owned by root (/bin/busybox, /etc)" "0:0 0:0" "$(in_ctr stat -c %u:%g /bin/busybox /etc | xargs)"
# containerd's overlayfs snapshotter id-maps the image's layers for the
# pod's mapping (kernel 6.18 can): the host sees the files of the container's
# root as the pod's host root, and the layers on disk keep root's ids (no
# chowned copy).
check_eq "host: through the container's root, the image's files belong to the pod's host root" "$HOST_ID:$HOST_ID" \
	"$(stat -c %u:%g "/proc/$cpid/root/bin/busybox" 2>&1)"
check_eq "host: in the image's layers on disk they belong to the host's root (id-mapped, not chowned)" "0:0" \
	"$(stat -c %u:%g "$WORK"/containerd/root/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs/bin/busybox 2>&1 | sort -u | xargs)"
check_eq "inside: eth0 has the pod's address (the pod's network namespace)" "$POD_IP/32" \
	"$(in_ctr ip -o -4 addr show eth0 | awk '{print $4}')"
check_eq "inside: the volume's files keep their owners through the id-mapped mount (0, 1000)" "0:0 1000:1000" \
	"$(in_ctr stat -c %u:%g /vol/from-host /vol/of-1000 | xargs)"
check "inside: root writes into the volume" in_ctr sh -c 'echo inside >/vol/written && chown 1000:1000 /vol/of-1000 && echo w2 >/vol/of-1000'
check_eq "host: the file written inside is owned by 0:0 on disk (the mount maps it back)" 0:0 "$(stat -c %u:%g "$WORK/vol/written" 2>&1)"
check_eq "host: its content" inside "$(cat "$WORK/vol/written" 2>&1)"
check_eq "host: the file of 1000 is still 1000's after the container's chown to 1000" 1000:1000 "$(stat -c %u:%g "$WORK/vol/of-1000" 2>&1)"
check_eq "host: the mount in the container is id-mapped (mountinfo: idmapped)" idmapped \
	"$(awk '$5 == "/vol" {print $6}' "/proc/$cpid/mountinfo" | tr , '\n' | grep -x idmapped)"
check "inside: root writes into the volume without mappings" in_ctr sh -c 'echo plain >/plain/written'
check_eq "host: there it is owned by the pod's host ids" "$HOST_ID:$HOST_ID" "$(stat -c %u:%g "$WORK/plain/written" 2>&1)"
check_eq "inside: the host's root shows there as the overflow id" 65534 "$(in_ctr stat -c %u /plain)"
check_status "inside: root of the pod cannot reach the host's ids (chown to 65536 fails)" 1 \
	cri exec --sync --timeout 20 "$ctr" chown 65536 /vol/written
check_eq "the runtime under test runs the sandbox and the container" "$(printf '%s\n' "$pod" "$ctr" | sort | xargs)" "$(rt_list)"

# An exec joins the same user namespace.
check "exec: a process started by exec" in_ctr sh -c 'sleep 4343 >/dev/null 2>&1 &'
exec_pid() {
	local p
	for p in $(procs_in_cgroups); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q '^sleep 4343' && echo "$p" && return 0
	done
	return 1
}
epid=$(exec_pid)
check_eq "host: the exec'd process runs as the pod's host uid" "$HOST_ID" "$(ps -o uid= -p "${epid:-0}" | xargs)"
check_eq "host: in the pod's user namespace" "$(ns_inode "$ppid_" user)" "$(ns_inode "${epid:-self}" user)"

# --- the end ---------------------------------------------------------------------
check "stop the container" cri stop --timeout 5 "$ctr"
check_eq "it has exited" CONTAINER_EXITED "$(state "$ctr")"
check "host: its process is gone" sh -c "! kill -0 $cpid 2>/dev/null"
check "remove the container" cri rm "$ctr"
check "host: its cgroup is removed" cgroup_gone "$CG_PARENT/$ctr"
check "stop the pod" cri stopp "$pod"
check "host: the pause process is gone" sh -c "! kill -0 $ppid_ 2>/dev/null"
check "remove the pod" cri rmp "$pod"
check_eq "no pod is left" "" "$(cri pods -q)"
check_eq "the runtime has no container left" "" "$(rt_list)"
check "host: the pod's network namespace is gone" test ! -e "$netns_path"
check "host: the pod's cgroups are removed" cgroup_gone "$CG_PARENT/$pod"
