# shellcheck shell=bash
# Start a private containerd for containerd.sh and cri.sh: its own config,
# root, state and gRPC/ttrpc sockets under $WORK/containerd, nothing at the
# system paths (except the shim sockets, which containerd always puts in
# /run/containerd/s, named by a hash of our socket path).
#
# Two lanes, chosen by CONTAINERD_LANE:
#   1.6  Debian 12's containerd 1.6 (/usr/bin; config version 2)
#   2.4  containerd 2.4 built by build.sh into the cache (config version 3;
#        the lane a current Kubernetes node is on)
# containerd_lane sets the lane up: for 2.4 its directory goes first on PATH,
# so containerd, ctr and the runc v2 shim (which containerd finds on PATH)
# are all 2.4's, in this script and in the daemon.

containerd_lane() {
	CTRD_LANE=${CONTAINERD_LANE:-1.6}
	case $CTRD_LANE in
	1.6)
		CTRD_DIR=$(dirname "$(command -v containerd || echo /usr/bin/containerd)")
		CTRD_VERSION_WANT='^1\.6\.'
		;;
	2.4)
		GO=$GO CLIENTS_CACHE=$CACHE "$CLIENTS_DIR/build.sh" ||
			{ echo "$SUITE: building containerd $CONTAINERD2_VERSION failed" >&2; exit 1; }
		CTRD_DIR=$CONTAINERD2_BIN
		# (go install leaves no VCS stamp: "2.4.2+unknown".)
		CTRD_VERSION_WANT="^${CONTAINERD2_VERSION#v}([+~].*)?\$"
		export PATH=$CTRD_DIR:$PATH
		# On a cgroup v1 host every ctr command warns on stderr that
		# containerd 2.2+ deprecates v1; the tests compare a container's
		# stderr, so ctr is told to keep that to itself (its own switch).
		export CONTAINERD_SUPPRESS_DEPRECATION_WARNINGS=true
		;;
	*)
		echo "$SUITE: CONTAINERD_LANE=$CTRD_LANE: want 1.6 or 2.4" >&2
		exit 1
		;;
	esac
}

# lane_suffix: what the lane adds to a suite's name ("" for 1.6, "2" for
# 2.4: containerd and containerd2, cri and cri2).
lane_suffix() {
	[ "${CONTAINERD_LANE:-1.6}" = 1.6 ] || echo 2
}

# containerd_version: the daemon binary's version ("1.6.20~ds1", "2.4.2").
containerd_version() {
	"$CTRD_DIR/containerd" --version | awk '{ sub(/^v/, "", $3); print $3 }'
}

# containerd_plugins_off [cri]: the plugins a test does not use, as a TOML
# list: a smaller daemon on a small machine, and nothing written to /opt
# (the "opt" plugin's default, 2.x's image verifiers) or to /var/run/nri
# (2.x's NRI). With "cri",
# the CRI's plugins are off too.
containerd_plugins_off() {
	local off='"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"'
	if [ "$CTRD_LANE" = 1.6 ]; then
		off+=', "io.containerd.snapshotter.v1.aufs"'
		[ "${1:-}" != cri ] || off+=', "io.containerd.grpc.v1.cri"'
	else
		off+=', "io.containerd.nri.v1.nri", "io.containerd.image-verifier.v1.bindir",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs", "io.containerd.differ.v1.erofs"'
		[ "${1:-}" != cri ] || off+=', "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images",
  "io.containerd.cri.v1.runtime", "io.containerd.podsandbox.controller.v1.podsandbox"'
	fi
	echo "$off"
}

# start_containerd [EXTRA-TOML]: EXTRA-TOML is appended to the config (the
# CRI plugins' sections, in the lane's config version); without it the CRI
# plugins are disabled.
start_containerd() {
	local extra=${1:-} version=2 off
	local dir=$WORK/containerd
	mkdir -p "$dir"
	CTRD_SOCK=$dir/containerd.sock
	outside_path /run/containerd
	outside_path /run/containerd/s
	[ "$CTRD_LANE" = 1.6 ] || version=3
	if [ -n "$extra" ]; then off=$(containerd_plugins_off); else off=$(containerd_plugins_off cri); fi
	cat >"$dir/config.toml" <<TOML
version = $version
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [$off]

[grpc]
  address = "$CTRD_SOCK"

[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
$extra
TOML
	# No Prometheus metrics from the cgroups monitor (renamed in 2.x).
	printf '\n[plugins."io.containerd.monitor.%s.cgroups"]\n  no_prometheus = true\n' \
		"$([ "$CTRD_LANE" = 1.6 ] && echo v1 || echo task.v1)" >>"$dir/config.toml"
	check_match "containerd is the $CTRD_LANE lane's ($CTRD_DIR)" "$CTRD_VERSION_WANT" "$(containerd_version)"
	start_daemon containerd "ctr -a '$CTRD_SOCK' version" \
		"$CTRD_DIR/containerd" --config "$dir/config.toml" --log-level info
}

# shim_is_lanes PID: PID (a container's parent) is this lane's runc v2 shim.
shim_is_lanes() {
	[ "$(readlink "/proc/$1/exe")" = "$(readlink -f "$CTRD_DIR/containerd-shim-runc-v2")" ]
}
