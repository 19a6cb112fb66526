#!/bin/sh
# make lint: gofmt and gofumpt (files listed are not formatted), go vet,
# golangci-lint (.golangci.yml), comments that name files or identifiers
# that do not exist (scripts/checkcomments), and shellcheck (.shellcheckrc)
# over every shell script of the repository and the bats files. Runs every
# check, then fails if any did.
set -u
: "${LINT_CACHE:?}" "${GOLANGCI_LINT_VERSION:?}" "${GOFUMPT_VERSION:?}"
GO=${GO:-go}
# golangci-lint runs the go on PATH to load the packages: make it $GO.
PATH=$(dirname "$(command -v "$GO")"):$PATH
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
check "comment references" "$GO" run ./scripts/checkcomments
# shellcheck disable=SC2046 # one word a path; none has a space
check shellcheck shellcheck $(shell_scripts)
# The bats files, as bash, at warning level (style notes such as `ls | wc -l`
# in an assertion are left to the tests' authors), without what bats makes
# false: SC2154 (run sets status, output, lines, stderr), SC2030/SC2031 (each
# @test is a subshell by design), SC1010 (`done` as a word, as in
# wait_for_line FILE done), SC2034 (loop counters, variables a helper reads)
# and SC2120 (helpers whose arguments are optional).
# shellcheck disable=SC2046 # one word a path; none has a space
check "shellcheck (bats)" shellcheck -s bash -S warning -e SC2154,SC2030,SC2031,SC1010,SC2034,SC2120 $(own_files '*.bats')
if [ -n "$failed" ]; then
	echo "lint: FAILED:$failed" >&2
	exit 1
fi
echo "lint: clean" >&2
