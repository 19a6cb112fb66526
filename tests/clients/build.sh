#!/bin/sh
# Build the clients Debian 12 does not package, once, into the cache:
# containerd 2.x (containerd, containerd-shim-runc-v2, ctr) and crictl, with
# `go install` at the versions in versions.sh (the Go module proxy serves
# both). A build already in the cache is not repeated; a version bump builds
# into a new directory. The first build takes minutes (containerd is large),
# which is why `make test-clients` does it once and not at every run.
#
# usage: tests/clients/build.sh   (CLIENTS_CACHE: the cache, default the
#        repo's .cache/clients; GO: the go command, Go 1.26.6 or newer)
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
CACHE=${CLIENTS_CACHE:-$(cd "$dir/../.." && pwd)/.cache/clients}
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
. "$dir/versions.sh"

# containerd v2.4 needs Go 1.26.6: say so rather than let go fetch another
# toolchain (GOTOOLCHAIN=local below).
min=1.26.6
have=$("$GO" env GOVERSION 2>/dev/null | sed 's/^go//') || have=""
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$min" "$have" | sort -V | head -1)" != "$min" ]; then
	echo "clients: building containerd $CONTAINERD2_VERSION and crictl $CRICTL_VERSION needs Go $min or newer; $GO is ${have:-missing}" >&2
	exit 1
fi

# install NAME DEST MODULE-PATH@VERSION...: go install the commands into
# DEST unless every one of them is there already. The build goes to a
# temporary directory that is renamed at the end, so an interrupted or
# failed build leaves nothing that looks finished.
install() {
	name=$1 dest=$2
	shift 2
	missing=""
	for pkg; do
		bin=${pkg%@*}
		[ -x "$dest/${bin##*/}" ] || missing="$missing ${bin##*/}"
	done
	[ -n "$missing" ] || return 0
	tmp=$dest.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	echo "clients: building $name (missing:$missing) with go install; the first build takes minutes" >&2
	start=$(date +%s)
	if ! GOBIN=$tmp GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -trimpath" "$GO" install "$@"; then
		rm -rf "$tmp"
		echo "clients: go install of $name failed" >&2
		exit 1
	fi
	rm -rf "$dest"
	mv "$tmp" "$dest"
	echo "clients: built $name into $dest in $(($(date +%s) - start))s" >&2
}

# One build at a time: two scripts started together wait for one build.
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9

install "containerd $CONTAINERD2_VERSION" "$CONTAINERD2_BIN" \
	"github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD2_VERSION" \
	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD2_VERSION" \
	"github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD2_VERSION"
install "crictl $CRICTL_VERSION" "$CRICTL_BIN" \
	"sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
