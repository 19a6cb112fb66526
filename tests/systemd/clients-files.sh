#!/usr/bin/env bash
# clients-files.sh DEST: what the clients-*.bats files of the systemd lane need in
# the guest and the guest image does not have, made on the host (the guest has no
# Go, no C compiler and no registry): containerd 2.4 and crictl (tests/clients/build.sh
# builds them once into .cache/clients), and the two images every client loads,
# made without a registry as tests/clients does it (tests/clients/tools/mkimage):
#   DEST/containerd2/  containerd, containerd-shim-runc-v2, ctr of containerd 2.4
#   DEST/bin/crictl
#   DEST/images/busybox.tar  berth.local/busybox:1 (Debian's busybox-static; cmd sh)
#   DEST/images/pause.tar    berth.local/pause:1 (tests/clients/pause/pause.c)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1
CACHE=${CLIENTS_CACHE:-$repo/.cache/clients}
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
. "$repo/tests/clients/versions.sh"
GO=$GO CLIENTS_CACHE=$CACHE "$repo/tests/clients/build.sh"
mkdir -p "$dest/containerd2" "$dest/bin" "$dest/images" "$CACHE/bin"
cp "$CONTAINERD2_BIN"/containerd "$CONTAINERD2_BIN"/containerd-shim-runc-v2 "$CONTAINERD2_BIN"/ctr "$dest/containerd2/"
cp "$CRICTL_BIN/crictl" "$dest/bin/"
(cd "$repo/tests/clients/tools" && "$GO" build -o "$CACHE/bin/" ./mkimage)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$repo/scripts/mkrootfs.sh" "$tmp/rootfs" >/dev/null
"$CACHE/bin/mkimage" -rootfs "$tmp/rootfs" -name berth.local/busybox:1 -cmd sh -o "$dest/images/busybox.tar"
mkdir -p "$tmp/pause"
command -v gcc >/dev/null || { echo "clients-files.sh: gcc is needed for the pause image (apt-get install gcc libc6-dev)" >&2; exit 1; }
gcc -static -Os -s -o "$tmp/pause/pause" "$repo/tests/clients/pause/pause.c"
"$CACHE/bin/mkimage" -rootfs "$tmp/pause" -name berth.local/pause:1 -entrypoint /pause -o "$dest/images/pause.tar"
