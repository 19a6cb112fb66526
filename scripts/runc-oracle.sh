#!/bin/sh
# Build runc 1.5.3, the oracle for runc behaviour (tests/integration passes
# against it too: `BERTH=$(scripts/runc-oracle.sh) bats tests/integration`),
# into .cache/runc-1.5.3/runc, once; print its path. Needs the Go toolchain,
# gcc and libseccomp-dev (scripts/deps.sh); the module proxy serves runc.
set -eu
RUNC_VERSION=${RUNC_VERSION:-v1.5.3}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/.cache/runc-${RUNC_VERSION#v}
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
if [ ! -x "$dir/runc" ]; then
	mkdir -p "$dir"
	# Outside the repository: berth's go.mod must not take part.
	(cd / && GOBIN=$dir CGO_ENABLED=1 "$GO" install -tags seccomp \
		"github.com/opencontainers/runc@$RUNC_VERSION") >&2
fi
echo "$dir/runc"
