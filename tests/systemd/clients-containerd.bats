#!/usr/bin/env bats
# containerd's CRI with `SystemdCgroup = true` in the runtime's options, as kubeadm
# sets a node up, driven by crictl: the runtime under test is the runc v2 shim's
# BinaryName. containerd 2.4 (built on the host, copied in) and Debian 12's 1.6 each
# run as a service with their own config, root, state and socket. A pod sandbox
# (host network; cgroup_parent a kubelet-style pod slice) and a container in it:
# each in a cri-containerd-ID.scope of that slice with the container's limits as
# unit properties, exec (streaming and probes), logs, an in-place update, stop and
# remove leaving no unit and no cgroup. Runs in tests/systemd/run.sh's guest.

load clients

PAUSE_IMAGE=berth.local/pause:1
IMG=berth.local/busybox:1
LANES="24 16"

# lane_dir L: the lane's files; lane_sock L: its socket.
lane_dir() { echo "/run/berth-ctrd$1"; }
lane_sock() { echo "$(lane_dir "$1")/containerd.sock"; }

# config L: the daemon's config, in the lane's config version.
config() {
	local d
	d=$(lane_dir "$1")
	if [ "$1" = 16 ]; then
		cat <<-TOML
			version = 2
			root = "/var/lib/berth-ctrd$1"
			state = "$d/state"
			disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
			[grpc]
			  address = "$d/containerd.sock"
			[ttrpc]
			  address = "$d/containerd.sock.ttrpc"
			[plugins."io.containerd.grpc.v1.cri"]
			  sandbox_image = "$PAUSE_IMAGE"
			  stream_server_address = "127.0.0.1"
			  stream_server_port = "0"
			  [plugins."io.containerd.grpc.v1.cri".cni]
			    bin_dir = "$d/cni/bin"
			    conf_dir = "$d/cni/conf"
			  [plugins."io.containerd.grpc.v1.cri".containerd]
			    snapshotter = "overlayfs"
			    default_runtime_name = "$RT_NAME"
			    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$RT_NAME]
			      runtime_type = "io.containerd.runc.v2"
			      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$RT_NAME.options]
			        BinaryName = "$BERTH"
			        Root = "$d/rt"
			        SystemdCgroup = true
		TOML
	else
		cat <<-TOML
			version = 3
			root = "/var/lib/berth-ctrd$1"
			state = "$d/state"
			disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing", "io.containerd.nri.v1.nri", "io.containerd.image-verifier.v1.bindir", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs", "io.containerd.differ.v1.erofs"]
			[grpc]
			  address = "$d/containerd.sock"
			[ttrpc]
			  address = "$d/containerd.sock.ttrpc"
			[plugins.'io.containerd.cri.v1.images']
			  snapshotter = 'overlayfs'
			  [plugins.'io.containerd.cri.v1.images'.pinned_images]
			    sandbox = '$PAUSE_IMAGE'
			[plugins.'io.containerd.cri.v1.runtime']
			  cdi_spec_dirs = ['$d/cdi']
			  [plugins.'io.containerd.cri.v1.runtime'.cni]
			    bin_dirs = ['$d/cni/bin']
			    conf_dir = '$d/cni/conf'
			  [plugins.'io.containerd.cri.v1.runtime'.containerd]
			    default_runtime_name = '$RT_NAME'
			    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.$RT_NAME]
			      runtime_type = 'io.containerd.runc.v2'
			      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.$RT_NAME.options]
			        BinaryName = '$BERTH'
			        Root = '$d/rt'
			        SystemdCgroup = true
			[plugins.'io.containerd.grpc.v1.cri']
			  stream_server_address = '127.0.0.1'
			  stream_server_port = '0'
		TOML
	fi
}

# bindir L: where the lane's containerd, shim and ctr are.
bindir() { if [ "$1" = 16 ]; then echo /usr/bin; else echo "$CLIENTS/containerd2"; fi; }

cri() {
	timeout -k 10 120 "$CLIENTS/bin/crictl" --config "$BATS_FILE_TMPDIR/crictl.yaml" --timeout 60s \
		-r "unix://$(lane_sock "$L")" -i "unix://$(lane_sock "$L")" "$@"
}
ctr_() { "$(bindir "$L")/ctr" -a "$(lane_sock "$L")" -n k8s.io "$@"; }

setup_file() {
	setup_clients_file
	: >"$BATS_FILE_TMPDIR/crictl.yaml"
	local L d
	for L in $LANES; do
		d=$(lane_dir "$L")
		rm -rf "$d" "/var/lib/berth-ctrd$L"
		mkdir -p "$d/cni/bin" "$d/cni/conf" "$d/cdi" "$d/logs"
		config "$L" >"$d/config.toml"
		# The shim is found on PATH: the lane's own first.
		start_service "berth-ctrd$L" --setenv=PATH="$(bindir "$L"):/usr/sbin:/usr/bin:/sbin:/bin" \
			"$(bindir "$L")/containerd" --config "$d/config.toml"
	done
	for L in $LANES; do
		wait_until 90 ctr_ version || {
			journal_tail "berth-ctrd$L" >&2
			return 1
		}
		ctr_ image import "$PAUSE_TAR" >/dev/null
		ctr_ image import "$IMG_TAR" >/dev/null
	done
}

teardown_file() {
	local L id
	for L in $LANES; do
		for id in $(cri pods -q 2>/dev/null); do
			cri stopp "$id" >/dev/null 2>&1
			cri rmp "$id" >/dev/null 2>&1
		done
		systemctl stop "berth-ctrd$L" >/dev/null 2>&1
		systemctl reset-failed "berth-ctrd$L" >/dev/null 2>&1 || true
		rm -rf "$(lane_dir "$L")" "/var/lib/berth-ctrd$L"
	done
}

# A kubelet with the systemd driver names a Burstable pod's slice after the pod's
# uid, dashes as underscores; systemd makes the parent slices kubepods.slice and
# kubepods-burstable.slice from the name.
pod_uid() { echo "b$L$RT_NAME"; }
pod_slice() { echo "kubepods-burstable-pod$(pod_uid).slice"; }
pod_cg() { echo "/kubepods.slice/kubepods-burstable.slice/$(pod_slice)"; }

# start_pod L: the pod sandbox and a container in it (64 MiB, half a CPU), saved
# as pod$L and ctr$L for the lane's other tests.
start_pod() {
	L=$1
	cat >"$BATS_FILE_TMPDIR/pod$L.json" <<-JSON
		{
		  "metadata": {"name": "pod$L", "namespace": "default", "uid": "$(pod_uid)", "attempt": 0},
		  "log_directory": "$(lane_dir "$L")/logs",
		  "linux": {
		    "cgroup_parent": "$(pod_slice)",
		    "security_context": {"namespace_options": {"network": 2, "pid": 0}}
		  }
		}
	JSON
	cat >"$BATS_FILE_TMPDIR/ctr$L.json" <<-JSON
		{
		  "metadata": {"name": "box"},
		  "image": {"image": "$IMG"},
		  "command": ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo started; while true; do sleep 1; done"],
		  "log_path": "box.log",
		  "linux": {"resources": {"memory_limit_in_bytes": 67108864, "cpu_quota": 50000, "cpu_period": 100000, "cpu_shares": 512}}
		}
	JSON
	pod=$(cri runp --runtime "$RT_NAME" "$BATS_FILE_TMPDIR/pod$L.json")
	save "pod$L" "$pod"
	ctr=$(cri create "$pod" "$BATS_FILE_TMPDIR/ctr$L.json" "$BATS_FILE_TMPDIR/pod$L.json")
	save "ctr$L" "$ctr"
	run -0 cri start "$ctr"

	# The sandbox: its own scope in the pod's slice, which systemd made with its parents.
	ppid_=$(cri inspectp -o json "$pod" | jq -r .info.pid)
	[ "$(cgroup_of "$ppid_")" = "$(pod_cg)/cri-containerd-$pod.scope" ]
	[ "$(systemctl show -P ActiveState "$(pod_slice)")" = active ]
	[ "$(systemctl show -P Slice "$(pod_slice)")" = kubepods-burstable.slice ]
	[ "$(systemctl show -P Slice kubepods-burstable.slice)" = kubepods.slice ]
	# The container: a running transient scope, delegated, holding its init.
	cpid=$(cri inspect -o json "$ctr" | jq -r .info.pid)
	unit=cri-containerd-$ctr.scope
	load_props "$unit"
	[ "${P[ActiveState]}" = active ]
	[ "${P[Slice]}" = "$(pod_slice)" ]
	[ "${P[Delegate]}" = yes ]
	[ "${P[ControlGroup]}" = "$(pod_cg)/$unit" ]
	[ "$(cgroup_of "$cpid")" = "$(pod_cg)/$unit" ]
	run -0 systemctl status --no-pager "$unit"
	[[ "$output" == *"Active: active (running)"* ]]
	[[ "$output" == *"$cpid"* ]]
	# The pod's limits for the container, in the unit and its cgroup files.
	[ "${P[MemoryMax]}" = 67108864 ]
	[ "${P[CPUQuotaPerSecUSec]}" = 500ms ]
	[ "$(cat "/sys/fs/cgroup$(pod_cg)/$unit/memory.max")" = 67108864 ]
	[ "$(cat "/sys/fs/cgroup$(pod_cg)/$unit/cpu.max")" = "50000 100000" ]
	# The runtime under test runs both.
	run -0 "$BERTH" --root "$(lane_dir "$L")/rt/k8s.io" list -q
	[ "$(sort <<<"$output" | xargs)" = "$(printf '%s\n' "$pod" "$ctr" | sort | xargs)" ]
}

# exec_and_logs L: streaming exec, exec probes (ExecSync, with its timeout) and logs.
exec_and_logs() {
	L=$1
	ctr=$(load_saved "ctr$L")
	# exec joins the container's scope: inside, its cgroup (namespaced) holds init and sh
	run -0 cri exec "$ctr" sh -c 'cat /proc/self/cgroup; wc -l </sys/fs/cgroup/cgroup.procs'
	[ "${lines[0]}" = "0::/" ]
	[ "${lines[1]}" -ge 2 ]
	run -1 cri exec "$ctr" sh -c 'exit 5'
	[[ "$output" == *"exit code 5"* ]]
	# kubelet's exec probes
	run -0 cri exec --sync --timeout 20 "$ctr" sh -c 'test -d /proc/1 && echo probe-ok'
	[[ "$output" == probe-ok* ]]
	run -1 cri exec --sync --timeout 20 "$ctr" sh -c 'exit 3'
	[[ "$output" == *"exited with 3"* ]]
	run -0 cri logs "$ctr"
	[ "${lines[0]}" = started ]
	# an in-place resize: the unit's property follows
	run -0 cri update --memory 134217728 "$ctr"
	[ "$(systemctl show -P MemoryMax "cri-containerd-$ctr.scope")" = 134217728 ]
	[ "$(cat "/sys/fs/cgroup$(pod_cg)/cri-containerd-$ctr.scope/memory.max")" = 134217728 ]
}

# stop_remove L: stop and remove the container and the pod: no unit, no cgroup left.
stop_remove() {
	L=$1
	pod=$(load_saved "pod$L")
	ctr=$(load_saved "ctr$L")
	run -0 cri stop --timeout 30 "$ctr"
	[ "$(cri inspect -o json "$ctr" | jq -r .status.state)" = CONTAINER_EXITED ]
	run -0 cri logs "$ctr"
	[[ "$output" == *got-term* ]]
	unit_gone "cri-containerd-$ctr.scope"
	[ ! -d "/sys/fs/cgroup$(pod_cg)/cri-containerd-$ctr.scope" ]
	run -0 cri rm "$ctr"
	run -0 cri stopp "$pod"
	run -0 cri rmp "$pod"
	unit_gone "cri-containerd-$pod.scope"
	[ -z "$(units_matching "cri-containerd-*")" ]
	[ -z "$(find "/sys/fs/cgroup$(pod_cg)" -mindepth 1 -type d 2>/dev/null)" ]
	run -0 "$BERTH" --root "$(lane_dir "$L")/rt/k8s.io" list -q
	[ -z "$output" ]
}

@test "clients containerd 2.4 (SystemdCgroup): crictl pod and container in kubepods scopes, limits in the unit" {
	start_pod 24
}

@test "clients containerd 2.4 (SystemdCgroup): exec, exec probes, logs, update" {
	exec_and_logs 24
}

@test "clients containerd 2.4 (SystemdCgroup): stop and remove leave no unit and no cgroup" {
	stop_remove 24
}

@test "clients containerd 1.6 (SystemdCgroup): crictl pod and container in kubepods scopes, limits in the unit" {
	start_pod 16
}

@test "clients containerd 1.6 (SystemdCgroup): exec, exec probes, logs, update" {
	exec_and_logs 16
}

@test "clients containerd 1.6 (SystemdCgroup): stop and remove leave no unit and no cgroup" {
	stop_remove 16
}
