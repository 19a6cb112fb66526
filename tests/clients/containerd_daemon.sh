# shellcheck shell=bash
# Start a private containerd for containerd.sh and cri.sh: its own config,
# root, state and gRPC/ttrpc sockets under $WORK/containerd, nothing at the
# system paths (except the shim sockets, which containerd 1.6 always puts in
# /run/containerd/s, named by a hash of our socket path).
#
# start_containerd [EXTRA-TOML]: EXTRA-TOML is appended to the config (the
# CRI plugin's section); without it the CRI plugin is disabled.

start_containerd() {
	local extra=${1:-} disabled
	local dir=$WORK/containerd
	mkdir -p "$dir"
	CTRD_SOCK=$dir/containerd.sock
	outside_path /run/containerd
	outside_path /run/containerd/s
	# Plugins this test does not use stay off: a smaller daemon on a small
	# machine, and nothing written to /opt (the "opt" plugin's default).
	disabled='"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"'
	[ -n "$extra" ] || disabled+=', "io.containerd.grpc.v1.cri"'
	cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [$disabled]

[grpc]
  address = "$CTRD_SOCK"

[ttrpc]
  address = "$CTRD_SOCK.ttrpc"

[plugins."io.containerd.monitor.v1.cgroups"]
  no_prometheus = true
$extra
TOML
	start_daemon containerd "ctr -a '$CTRD_SOCK' version" \
		containerd --config "$dir/config.toml" --log-level info
}
