#!/bin/sh
# Install what `make lint` needs, if missing: shellcheck (Debian), and
# golangci-lint and gofumpt at the pinned versions, built once with go install
# from the Go module proxy into $LINT_CACHE/<tool>-<version>/ (a minute or two
# the first time, nothing after). Needs root for apt-get.
set -eu
: "${LINT_CACHE:?}" "${GOLANGCI_LINT_VERSION:?}" "${GOFUMPT_VERSION:?}"
GO=${GO:-go}
if ! command -v shellcheck >/dev/null; then
	echo "deps-lint: installing shellcheck" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
build() { # build NAME VERSION PACKAGE
	dir=$LINT_CACHE/$1-$2
	[ -x "$dir/$1" ] && return 0
	echo "deps-lint: building $1 $2 into $dir" >&2
	rm -rf "$dir.tmp"
	GOBIN=$dir.tmp "$GO" install "$3@$2"
	mv "$dir.tmp" "$dir"
}
build golangci-lint "$GOLANGCI_LINT_VERSION" github.com/golangci/golangci-lint/v2/cmd/golangci-lint
build gofumpt "$GOFUMPT_VERSION" mvdan.cc/gofumpt
