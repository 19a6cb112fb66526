# shellcheck shell=bash
# What the CRI suites (cri.sh, cri2_userns.sh) share, sourced after lib.sh and
# containerd_daemon.sh: crictl and its config, the runtime's own view, the
# pod's cgroup parent, the two images (built here, imported, never pulled),
# and the CRI plugin's settings in each lane's config version.

PAUSE_IMAGE=berth.local/pause:1
IMG=docker.io/library/$IMAGE
HANDLER=$RUNTIME_NAME
RT_ROOT=$WORK/runtime-root
CG_PARENT=/$TAG-pods

# crictl reads /etc/crictl.yaml unless given a config: it gets its own, and
# the endpoints on its command line too, so that it never falls back to the
# system's default sockets.
cri() {
	timeout -k 10 "$TIMEOUT" "$CRICTL_BIN/crictl" --config "$WORK/crictl.yaml" \
		-r "unix://$CTRD_SOCK" -i "unix://$CTRD_SOCK" "$@"
}
# The runtime's own view: the shim runs it with --root $RT_ROOT/k8s.io.
rt_list() { "$RUNTIME" --root "$RT_ROOT/k8s.io" list -q 2>/dev/null | sort | xargs; }
# state ID / pod_state ID: CONTAINER_RUNNING, SANDBOX_READY, ...
state() { cri inspect -o json "$1" | jq -r .status.state; }
pod_state() { cri inspectp -o json "$1" | jq -r .status.state; }
# cgroup_gone PATH: no controller has the cgroup PATH any more.
cgroup_gone() { [ -z "$(ls -d /sys/fs/cgroup/*/"${1#/}" 2>/dev/null)" ]; }

suite_teardown() {
	local id
	[ -S "${CTRD_SOCK:-}" ] || return 0
	for id in $(cri pods -q 2>/dev/null); do
		cri stopp "$id" >/dev/null 2>&1
		cri rmp "$id" >/dev/null 2>&1
	done
	ctr -a "$CTRD_SOCK" -n k8s.io image rm "$IMG" "$PAUSE_IMAGE" >/dev/null 2>&1
}

# cri_prepare: the cgroup parent, both images, the CNI and log directories.
# The sandbox asks for oom_score_adj -998; lowering a score below one's own
# needs CAP_SYS_RESOURCE (capability 24), which this host's root may lack:
# then restrict_oom_score_adj (RESTRICT_OOM) keeps scores at or above
# containerd's own.
cri_prepare() {
	cgroup_parent "$CG_PARENT"
	build_image "$WORK/image.tar"
	build_pause_image "$WORK/pause.tar" "$PAUSE_IMAGE"
	RESTRICT_OOM=false
	(((0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1)) || RESTRICT_OOM=true
	mkdir -p "$WORK/cni/conf" "$WORK/cni/bin" "$WORK/cdi" "$WORK/pod-logs"
}

# cri_toml [RUNTIME_LINE...]: the CRI plugin's settings for the lane
# (CTRD_LANE), each RUNTIME_LINE added to the 2.x runtime section. No
# registry: the pause image is imported, never pulled. The stream server
# (crictl exec) listens on a free loopback port. CDI's spec directories
# (default /etc/cdi, /var/run/cdi) are kept in WORK so that the daemon
# creates nothing there.
cri_toml() {
	local extra=""
	[ $# -eq 0 ] || extra=$(printf '  %s\n' "$@")
	if [ "$CTRD_LANE" = 1.6 ]; then
		cat <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  restrict_oom_score_adj = $RESTRICT_OOM
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$WORK/cni/bin"
    conf_dir = "$WORK/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "$HANDLER"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$HANDLER]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$HANDLER.options]
        BinaryName = "$RUNTIME"
        Root = "$RT_ROOT"
        SystemdCgroup = false
TOML
		return
	fi
	cat <<TOML
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '$PAUSE_IMAGE'

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  restrict_oom_score_adj = $RESTRICT_OOM
  cdi_spec_dirs = ['$WORK/cdi']
$extra
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['$WORK/cni/bin']
    conf_dir = '$WORK/cni/conf'
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = '$HANDLER'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.$HANDLER]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.$HANDLER.options]
        BinaryName = '$RUNTIME'
        Root = '$RT_ROOT'
        SystemdCgroup = false

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
TOML
}

# cri_connect: crictl's config, then both images imported into k8s.io and
# listed by the CRI.
cri_connect() {
	cat >"$WORK/crictl.yaml" <<YAML
runtime-endpoint: unix://$CTRD_SOCK
image-endpoint: unix://$CTRD_SOCK
timeout: 60
pull-image-on-create: false
disable-pull-on-run: true
YAML
	check_eq "crictl version: the CRI is containerd's" containerd "$(cri version | awk '$1 == "RuntimeName:" {print $2}')"
	check_match "crictl version: containerd of the $CTRD_LANE lane" "^v?${CTRD_VERSION_WANT#^}" "$(cri version | awk '$1 == "RuntimeVersion:" {print $2}')"
	check "import the pause image into k8s.io" ctr -a "$CTRD_SOCK" -n k8s.io image import "$WORK/pause.tar"
	check "import the busybox image into k8s.io" ctr -a "$CTRD_SOCK" -n k8s.io image import "$WORK/image.tar"
	check "crictl images lists both" wait_for "CRI images" 30 images_listed
}
images_listed() {
	local tags
	tags=$(cri images -o json | jq -r '.images[].repoTags[]') &&
		grep -qxF "$PAUSE_IMAGE" <<<"$tags" && grep -qxF "$IMG" <<<"$tags"
}
