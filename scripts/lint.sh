#!/bin/sh
# make lint: gofmt and gofumpt (files listed are not formatted), go vet,
# golangci-lint (.golangci.yml), and shellcheck (.shellcheckrc) over every
# shell script of the repository. Runs every check, then fails if any did.
set -u
: "${LINT_CACHE:?}" "${GOLANGCI_LINT_VERSION:?}" "${GOFUMPT_VERSION:?}"
GO=${GO:-go}
cd "$(dirname "$0")/.." || exit 1
failed=""
check() { # check NAME CMD...: run CMD, noting NAME if it fails
	name=$1
	shift
	echo "lint: $name" >&2
	"$@" || failed="$failed $name"
}
# The repository's own files whose name matches $1 (not .cache/, nor the
# conformance suite's checkout in tests/conformance/.build).
own_files() {
	find . \( -path ./.cache -o -path ./.git -o -path '*/.build' \) -prune -o \
		-type f -name "$1" -print | sort
}
# FORMATTER -l over the Go files: fails if it lists any.
unformatted() {
	# shellcheck disable=SC2046 # one word a path; none has a space
	out=$("$1" -l $(own_files '*.go')) || return 1
	[ -z "$out" ] && return 0
	echo "$out" | sed 's/^/  not formatted: /' >&2
	return 1
}
shell_scripts() {
	own_files '*.sh'
	own_files '*.bash'
	echo ./.ci/run
}
check gofmt unformatted gofmt
check gofumpt unformatted "$LINT_CACHE/gofumpt-$GOFUMPT_VERSION/gofumpt"
check "go vet" "$GO" vet ./...
check golangci-lint "$LINT_CACHE/golangci-lint-$GOLANGCI_LINT_VERSION/golangci-lint" run ./...
# shellcheck disable=SC2046 # one word a path; none has a space
check shellcheck shellcheck $(shell_scripts)
if [ -n "$failed" ]; then
	echo "lint: FAILED:$failed" >&2
	exit 1
fi
echo "lint: clean" >&2
