#!/usr/bin/env bash
# runner-selftest.sh: the run protocol of tests/vm (lib.sh), checked through the
# busybox guest, which boots fastest: arguments arrive intact, the command's exit
# status comes back, stdout and stderr are merged on stdout, /files is the shared
# directory (read-write, the cwd), --modules loads modules, a hung command ends
# with 124 and a crashed kernel with 125 and the console tail, bad options are
# refused with 2, and a run leaves no temporary directory or qemu behind.
# usage (as root): tests/vm/runner-selftest.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/run-in-vm.sh
passes=0 fails=0
check() { # description command...
	local d=$1
	shift
	if "$@"; then echo "PASS: $d" && passes=$((passes + 1)); else echo "FAIL: $d" && fails=$((fails + 1)); fi
}
dir=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$dir" "$work"' EXIT
"$vm" --setup || exit 1
export TMPDIR=$work # the runs' temporary directories, to see that none is left

echo 'from the host' >"$dir/in"
# One boot: arguments, exit status, output, files, modules.
out=$("$vm" --files "$dir" --modules veth -- sh -c '
	echo "args: $#"; for a; do echo "arg: [$a]"; done
	echo "cwd: $PWD"; cat in
	echo "to stderr" >&2
	echo "from the guest" >out
	[ -d /sys/module/veth ] && echo "veth loaded"
	exit 7' guest 'two words' "it's" '$HOME' '')
rc=$?
echo "$out"
check "the command's exit status (7)" [ $rc = 7 ]
check "four arguments" grep -qx 'args: 4' <<<"$out"
check "an argument with a space" grep -qxF 'arg: [two words]' <<<"$out"
check "an argument with a quote" grep -qxF "arg: [it's]" <<<"$out"
check "an argument with a dollar, unexpanded" grep -qxF 'arg: [$HOME]' <<<"$out"
check "an empty argument" grep -qxF 'arg: []' <<<"$out"
check "cwd is /files" grep -qx 'cwd: /files' <<<"$out"
check "the guest reads the host's file" grep -qx 'from the host' <<<"$out"
check "stderr is merged into stdout" grep -qx 'to stderr' <<<"$out"
check "the host reads the guest's file" grep -qx 'from the guest' "$dir/out"
check "--modules loaded veth" grep -qx 'veth loaded' <<<"$out"

# A hung command: 124, with the reason on stderr.
"$vm" --timeout 5 -- sleep 600 >"$work/to.out" 2>"$work/to.err"
rc=$?
check "a timeout exits 124" [ $rc = 124 ]
check "...saying so on stderr" grep -q 'timed out after 5s' "$work/to.err"

# A kernel crash: 125, with the console tail (the panic) on stderr.
"$vm" -- sh -c 'echo c >/proc/sysrq-trigger' >"$work/crash.out" 2>"$work/crash.err"
rc=$?
check "a crashed VM exits 125" [ $rc = 125 ]
check "...with the console tail on stderr" grep -q 'Kernel panic' "$work/crash.err"

"$vm" --no-such-option -- true >/dev/null 2>&1
check "an unknown option exits 2" [ $? = 2 ]
"$vm" --timeout soon -- true >/dev/null 2>&1
check "a bad --timeout exits 2" [ $? = 2 ]
"$vm" --files "$dir/missing" -- true >/dev/null 2>&1
check "a missing --files directory exits 2" [ $? = 2 ]

check "no temporary directory is left" [ -z "$(find "$work" -mindepth 1 -maxdepth 1 ! -name 'to.*' ! -name 'crash.*')" ]
check "no qemu of ours is left" [ -z "$(pgrep -f "qemu-system.*$work" || true)" ]
echo "runner-selftest: $passes passed, $fails failed"
[ $fails = 0 ]
