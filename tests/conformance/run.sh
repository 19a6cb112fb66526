#!/usr/bin/env bash
# Run the OCI runtime-tools validation suite against a runtime binary.
#
# usage: tests/conformance/run.sh [RUNTIME_BINARY]
#
#   RUNTIME_BINARY  runtime to test (default: $RUNTIME, else <repo>/berth)
#
# environment:
#   ONLY=a,b        run only these validation tests (names as in validation/<name>)
#   TEST_TIMEOUT=S  per-test timeout in seconds (default 60)
#   OUT=DIR         where TAP files and the summary go (default .build/results)
#   KEEP_WORK=1     keep each test's scratch directory (default: removed)
#   REBUILD=1       rebuild the test binaries and the rootfs even if present
#
# Each validation test is a program from github.com/opencontainers/runtime-tools
# (version pinned in go.mod) that drives $RUNTIME with create/start/state/kill/
# delete and prints TAP. Test programs read "runtimetest" and
# "rootfs-<GOARCH>.tar.gz" from their working directory and make their bundles
# under $TMPDIR, so each runs in its own scratch directory. See README.md.
#
# Exit status: non-zero if a test named in expected-pass.txt did not pass (or
# is not a known test), or if the harness itself could not build or set up.
# The last line printed is "N passed, N failed, N skipped" (tests, not asserts).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build="$here/.build"
bindir="$build/bin"
out=${OUT:-$build/results}
timeout_s=${TEST_TIMEOUT:-60}
module=github.com/opencontainers/runtime-tools

die() { echo "conformance: $*" >&2; exit 2; }

# ---- runtime under test ------------------------------------------------------
runtime=${1:-${RUNTIME:-$repo/berth}}
if [[ $runtime != */* ]]; then
	runtime=$(command -v "$runtime") || die "runtime $1 not found in PATH"
fi
[[ -x $runtime ]] || die "runtime binary $runtime is not executable (build berth first, or pass a path)"
runtime=$(cd "$(dirname "$runtime")" && pwd)/$(basename "$runtime")
[[ $(id -u) == 0 ]] || die "the validation suite must run as root"
for tool in go tar timeout unshare flock jq; do
	command -v "$tool" >/dev/null || die "$tool not found (see README.md, Requirements)"
done

# One run at a time on a machine: the tests use fixed cgroup paths
# (/cgrouptest, testdir/cgrouptest/container) that two runs would share.
lockdir=/run/lock
[[ -d $lockdir ]] || lockdir=/tmp
exec 9>"$lockdir/berth-conformance.lock"
if ! flock -n 9; then
	echo "conformance: another run holds $lockdir/berth-conformance.lock; waiting" >&2
	flock 9
fi

# ---- build the test programs (only when missing) ------------------------------
# The stamp ties the binaries to go.mod/go.sum, so a version bump rebuilds them.
stamp="$build/stamp"
want_stamp=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -d' ' -f1)
need_build=${REBUILD:-}
if [[ ! -f $stamp || $(cat "$stamp") != "$want_stamp" || ! -s $build/tests.txt || ! -x $bindir/runtimetest ]]; then
	need_build=1
elif [[ -z $need_build ]]; then
	while read -r t; do [[ -x $bindir/$t ]] || need_build=1; done <"$build/tests.txt"
fi
if [[ -n $need_build ]]; then
	echo "conformance: building $module validation tests into $bindir" >&2
	rm -rf "$bindir" && mkdir -p "$bindir"
	(
		cd "$here"
		export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
		go mod download "$module"
		moddir=$(go list -m -f '{{.Dir}}' "$module")
		# One program per validation/<name>/ directory (util/ is the shared library).
		find "$moddir/validation" -mindepth 2 -maxdepth 2 -name '*.go' -printf '%h\n' |
			xargs -n1 basename | grep -vx util | sort -u >"$build/tests.txt.new"
		# runtimetest runs inside the busybox rootfs: static, no cgo.
		go build -trimpath -tags 'netgo osusergo' -ldflags '-s -w' -o "$bindir/" \
			"$module/cmd/runtimetest" "$module/validation/..."
	) || die "build failed"
	mv "$build/tests.txt.new" "$build/tests.txt"
	echo "$want_stamp" >"$stamp"
fi

# ---- rootfs tarball (the tests untar rootfs-$GOARCH.tar.gz from their cwd) ------
arch=$(go env GOARCH)
rootfs_tar="$build/rootfs-$arch.tar.gz"
if [[ -n ${REBUILD:-} || ! -s $rootfs_tar ]]; then
	echo "conformance: making $rootfs_tar with scripts/mkrootfs.sh (busybox-static)" >&2
	tmp_root=$(mktemp -d)
	sh "$repo/scripts/mkrootfs.sh" "$tmp_root/rootfs" >&2 || die "mkrootfs.sh failed"
	tar --numeric-owner -C "$tmp_root/rootfs" -czf "$rootfs_tar.new" . || die "tar failed"
	rm -rf "$tmp_root"
	mv "$rootfs_tar.new" "$rootfs_tar"
fi

# ---- which tests --------------------------------------------------------------
mapfile -t all_tests <"$build/tests.txt"
tests=()
if [[ -n ${ONLY:-} ]]; then
	IFS=', ' read -ra want <<<"$ONLY"
	for t in "${want[@]}"; do
		[[ -z $t ]] && continue
		grep -qx "$t" "$build/tests.txt" || die "ONLY: unknown test $t"
		tests+=("$t")
	done
else
	tests=("${all_tests[@]}")
fi

expected=()
if [[ -f $here/expected-pass.txt ]]; then
	mapfile -t expected < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/expected-pass.txt" | grep -v '^$' || true)
fi

# ---- TAP evaluation -------------------------------------------------------------
# Prints "result<TAB>pass<TAB>fail<TAB>skip<TAB>reason" for one test's stdout.
# PASS: exit 0, the plan(s) match the test points, no "not ok". Quirks of the
# upstream programs that this accounts for (README.md, "Test-suite bugs"):
#  - linux_cgroups_cpus prints two TAP documents: their plans are added up;
#  - the hook tests (hooks, prestart, poststart, poststop, *_fail) report a
#    failure only as a YAML block with an "error" key and no test point
#    ("1..0"): counted as one failure, not as the success TAP would read;
#  - the *_fail tests print nothing at all when the runtime rightly errors:
#    exit 0 with empty output is a pass.
evaluate() { # tapfile exitcode
	awk -v rc="$2" '
	function json_error(s) { # the "error" value of a tap-go YAML line
		sub(/^[[:space:]]*"error":[[:space:]]*"/, "", s); sub(/",?[[:space:]]*$/, "", s)
		gsub(/\\n/, " | ", s); gsub(/\\t/, " ", s); gsub(/\\"/, "\"", s)
		return s
	}
	{ lines++ }
	/^ok[ \t]/ {
		n++
		if (tolower($0) ~ /# *skip/) skip++; else pass++
		inyaml = 0; next
	}
	/^not ok/ {
		n++; fail++
		if (first == "") { first = $0; sub(/^not ok [0-9]* *-? */, "", first) }
		inyaml = 0; next
	}
	/^1\.\.[0-9]+/ { plan += substr($1, 4) + 0; plans++; next }
	/^  ---/ { inyaml = 1; next }
	/^  \.\.\./ { inyaml = 0; next }
	inyaml && /^[[:space:]]*"error":/ {
		e = json_error($0)
		if (e != "" && n == 0 && orphan == "") orphan = e
		if (e != "" && fail > 0 && firsterr == "") firsterr = e
		next
	}
	END {
		reason = ""
		if (rc == 124 || rc == 137) { result = "FAIL"; reason = "timed out" }
		else if (rc != 0) { result = "FAIL"; reason = (first != "" ? first "; " : "") "exit status " rc }
		else if (fail > 0) { result = "FAIL"; reason = first (firsterr != "" && firsterr != first ? " (" firsterr ")" : "") }
		else if (lines == 0) { result = "PASS"; reason = "no output (silent success)" }
		else if (!plans) { result = "FAIL"; reason = "no TAP plan" }
		else if (plan != n) { result = "FAIL"; reason = "plan 1.." plan " but " n " test points" }
		else if (n == 0 && orphan != "") { result = "FAIL"; fail = 1; reason = "diagnostic only: " orphan }
		else if (n > 0 && skip == n) { result = "SKIP"; reason = "all test points skipped" }
		else { result = "PASS"; if (n == 0) reason = "no test points (silent success)" }
		gsub(/[\t\r\n]/, " ", reason); gsub(/ \| Refer to: [^ ]*/, "", reason)
		if (length(reason) > 300) reason = substr(reason, 1, 297) "..."
		printf "%s\t%d\t%d\t%d\t%s\n", result, pass + 0, fail + 0, skip + 0, reason
	}' "$1"
}

# ---- host state the tests can leave behind ----------------------------------------
# Cgroups: only names the suite makes (its container IDs are UUIDs; cgroupsPath
# is /cgrouptest or testdir/cgrouptest/container), so other users of the
# machine are neither reported nor touched.
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
test_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -type d 2>/dev/null |
		grep -E "/($uuid_re|cgrouptest|testdir)(/|\$)" | sort || true
}
# Remove empty leftover cgroup dirs, deepest first (rmdir fails on a busy one).
rm_cgroups() { sort -r | while read -r d; do [[ -n $d ]] && rmdir "$d" 2>/dev/null; done || true; }
mounts_under() { awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
# Host processes a test started and left running (e.g. the "unshare --fork
# sleep 10000" helpers of linux_ns_path*, in their own process group, which the
# timeout does not reach): their cwd is the test's scratch dir.
procs_under() {
	find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$1" -o -lname "$1/*" \) \
		-printf '%h\n' 2>/dev/null | cut -d/ -f3 | grep -E '^[0-9]+$' || true
}
# Containers whose bundle is one of ours ("list --format json", as runc has it).
our_containers() {
	timeout -k 2 10 "$runtime" list --format json 2>/dev/null </dev/null |
		jq -r --arg p "$1/" '.[]? | select(.bundle | startswith($p)) | .id' 2>/dev/null || true
}

# Stale runtime-tools cgroups from an interrupted earlier run would change
# results (delete_resources checks /cgrouptest is gone), so clear the empty ones.
stale=$(find /sys/fs/cgroup -mindepth 2 -type d 2>/dev/null | grep -E '/(cgrouptest|testdir)(/|$)' || true)
if [[ -n $stale ]]; then
	echo "conformance: removing stale runtime-tools cgroups from an earlier run:" >&2
	while IFS= read -r d; do echo "  $d"; done <<<"$stale" >&2
	echo "$stale" | rm_cgroups
fi

# ---- run --------------------------------------------------------------------------
rm -rf "$out" && mkdir -p "$out"
scratch_root=$(mktemp -d "${TMPDIR:-/tmp}/berth-conformance.XXXXXX")
# 0755: in the user-namespace tests the container's root is an unprivileged
# host uid that must traverse this path to reach the bundle.
chmod 755 "$scratch_root"
cleanup() {
	local m
	for m in $(mounts_under "$scratch_root"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	[[ -n ${KEEP_WORK:-} ]] || rm -rf --one-file-system "$scratch_root" 2>/dev/null || true
}
trap cleanup EXIT
summary="$out/summary.txt"
leaks="$out/leaks.txt"
: >"$leaks"
printf '%-31s %-6s %5s %5s %5s %6s  %s\n' TEST RESULT PASS FAIL SKIP SECS NOTE >"$summary"
echo "conformance: runtime $runtime, ${#tests[@]} tests, timeout ${timeout_s}s each, output in $out" >&2
n_pass=0 n_fail=0 n_skip=0
declare -A result_of
started=$(date +%s)
for t in "${tests[@]}"; do
	work="$scratch_root/$t"
	mkdir -p "$work/tmp"
	# Copies, not symlinks: the tests copy runtimetest with mrunalp/fileutils,
	# which reproduces a symlink as a symlink (dangling inside the bundle).
	cp "$bindir/runtimetest" "$work/runtimetest"
	ln "$rootfs_tar" "$work/rootfs-$arch.tar.gz" 2>/dev/null || cp "$rootfs_tar" "$work/rootfs-$arch.tar.gz"
	cg_before=$(test_cgroups)
	t0=$(date +%s.%N)
	rc=0
	(cd "$work" && TMPDIR="$work/tmp" RUNTIME="$runtime" \
		timeout -k 10 "$timeout_s" "$bindir/$t" </dev/null >"$out/$t.tap" 2>"$out/$t.stderr") || rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

	# What the test (or the runtime under it) left behind: report, then clean
	# up so the next test starts from the same host state.
	left=""
	ids=$(our_containers "$work")
	if [[ -n $ids ]]; then
		left+=" containers:$(echo "$ids" | wc -l)"
		for id in $ids; do
			echo "$t: container left behind: $id (force-deleted)" >>"$leaks"
			timeout -k 5 30 "$runtime" delete --force "$id" </dev/null >/dev/null 2>&1 || true
		done
	fi
	pids=$(procs_under "$work")
	if [[ -n $pids ]]; then
		left+=" processes:$(echo "$pids" | wc -l)"
		for pid in $pids; do
			echo "$t: process left behind: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) (killed)" >>"$leaks"
			kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	new_cg=$(comm -13 <(echo "$cg_before") <(test_cgroups) | grep -v '^$' || true)
	if [[ -n $new_cg ]]; then
		left+=" cgroups:$(echo "$new_cg" | wc -l)"
		while IFS= read -r d; do echo "$t: cgroup dir left behind: $d"; done <<<"$new_cg" >>"$leaks"
		# Only the fixed runtime-tools paths are removed (they would change the
		# next test's result); a UUID-named one is the runtime's leak, reported.
		echo "$new_cg" | grep -E '/(cgrouptest|testdir)(/|$)' | rm_cgroups
	fi
	mnts=$(mounts_under "$work")
	if [[ -n $mnts ]]; then
		left+=" mounts:$(echo "$mnts" | wc -l)"
		echo "$mnts" | sed "s|^|$t: host mount left behind: |; s|$scratch_root/$t/tmp/|\$TMPDIR/|" >>"$leaks"
		for m in $mnts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	fi
	bundles=$(find "$work/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[[ $bundles != 0 ]] && echo "$t: $bundles temporary dir(s) left in TMPDIR" >>"$leaks"

	IFS=$'\t' read -r result p f s reason < <(evaluate "$out/$t.tap" "$rc")
	if [[ $result == FAIL && $rc != 0 && $rc != 124 && $rc != 137 ]]; then
		# A test that died (util.Fatal) says why on stderr.
		why=$(grep -v '^[[:space:]]*$' "$out/$t.stderr" | grep -Ev '^(exit status [0-9]+|Refer to: .*)$' | tail -n 1 | cut -c1-240 || true)
		[[ -n $why ]] && reason="$reason: $why"
	fi
	[[ -n $left ]] && reason="$reason [left behind:$left]"
	result_of[$t]=$result
	case $result in
	PASS) n_pass=$((n_pass + 1)) ;;
	SKIP) n_skip=$((n_skip + 1)) ;;
	*) n_fail=$((n_fail + 1)) ;;
	esac
	printf '%-31s %-6s %5s %5s %5s %6s  %s\n' "$t" "$result" "$p" "$f" "$s" "$secs" "$reason" | tee -a "$summary"
	if [[ -z ${KEEP_WORK:-} ]]; then
		rm -rf --one-file-system "$work" 2>/dev/null || echo "$t: could not remove scratch dir $work" >>"$leaks"
	fi
done
[[ -n ${KEEP_WORK:-} ]] && echo "conformance: scratch dirs kept in $scratch_root" >&2
elapsed=$(($(date +%s) - started))

# ---- expected-pass gate --------------------------------------------------------
gate_fail=()
for t in "${expected[@]}"; do
	if ! grep -qx "$t" "$build/tests.txt"; then
		gate_fail+=("$t(unknown test)")
	elif [[ -n ${result_of[$t]+x} && ${result_of[$t]} == FAIL ]]; then
		gate_fail+=("$t")
	fi
done

{
	echo
	if [[ -s $leaks ]]; then
		# One line per test and kind; cgroup dirs without their hierarchy prefix.
		echo "left behind on the host, and cleaned up by the harness (full list: $leaks):"
		sed -E 's#^([^:]*): cgroup dir left behind: /sys/fs/cgroup/[^/]+/(process_api/[^/]+/)?#\1: cgroup dirs left behind (all hierarchies): #' "$leaks" |
			awk -F': ' '{ k = $1 ": " $2; if (!(k in seen)) { order[++n] = k; seen[k] = "" }
				if (NF > 2) { if (index(seen[k], " " $3 " ") == 0) seen[k] = seen[k] " " $3 " " } }
				END { for (i = 1; i <= n; i++) { v = seen[order[i]]; gsub(/  +/, " ", v); sub(/ $/, "", v); print "  " order[i] (v != "" ? ":" v : "") } }'
	fi
	echo "ran ${#tests[@]} tests in ${elapsed}s against $runtime; per-test TAP in $out"
	if ((${#gate_fail[@]})); then
		echo "REGRESSION: in expected-pass.txt but did not pass: ${gate_fail[*]}"
	fi
	echo "$n_pass passed, $n_fail failed, $n_skip skipped"
} | tee -a "$summary"
((${#gate_fail[@]} == 0))
