#!/usr/bin/env bats
# Symlink attacks on the container's mounts, attempted for real:
#  - CVE-2021-30465: a mount destination in the rootfs is a directory when the runtime
#    checks it and a symlink out of the rootfs when it mounts (the attacker, another
#    container sharing a volume, swaps them in a loop): runc mounted on the host.
#  - CVE-2025-31133: maskedPaths are masked by bind-mounting the container's /dev/null;
#    replaced by a symlink (to /proc/sys/kernel/core_pattern, say) or anything else, the
#    "mask" exposes what it should hide, or masking silently fails.
# The attacker here is the host-side helper tests/cmd/renameswap, which swaps two paths
# atomically (renameat2 RENAME_EXCHANGE) as fast as it can while containers are created
# one after the other, for a bounded time.

load helpers

setup_file() {
	RENAMESWAP=$(build_test_cmd renameswap) || return 1
	export RENAMESWAP
}

setup() {
	setup_berth
	make_bundle
	update_config '.root.readonly = false | .process.args = ["sleep", "100"]'
	# a host directory no mount may land on
	OUTSIDE=$BATS_TEST_TMPDIR/outside
	mkdir -p "$OUTSIDE"
	OUTSIDE_WAS=$OUTSIDE
	# how long each race runs (seconds), and the most creates it makes
	RACE_SECONDS=${BERTH_RACE_SECONDS:-8}
	RACE_MAX=30
}
teardown() { teardown_berth; }

# --- the race -------------------------------------------------------------------------

# start_swapper PATH1 PATH2: swap the two paths in the background until stop_swapper.
start_swapper() {
	# unpaced (-pause 0): a runtime's window between check and use may be microseconds
	"$RENAMESWAP" -for 120s -pause 0 "$1" "$2" >"$BATS_TEST_TMPDIR/swaps" 2>&1 3>&- &
	SWAPPER=$!
	defer kill "$SWAPPER"
}

# stop_swapper: stop it; it must have been swapping all along (no failed exchange).
stop_swapper() {
	local rc=0
	# (it may have stopped on its own: its output says why)
	kill -TERM "$SWAPPER" 2>/dev/null || true
	wait "$SWAPPER" || rc=$?
	echo "swapper: exit $rc, $(cat "$BATS_TEST_TMPDIR/swaps") swaps"
	[ "$rc" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/swaps")" -gt 0 ]
}

# race_creates CHECK ERROR_WORDS: create containers one after the other (at most
# RACE_MAX, for RACE_SECONDS) while the swapper runs. After a successful create, CHECK ID
# must pass (the container is then deleted); a failed create must fail with an error
# containing ERROR_WORDS and leave nothing behind. Every create must fail or be safe.
race_creates() {
	local check=$1 words=$2 end i=0 ok=0 failed=0 id
	end=$(($(now_ms) + RACE_SECONDS * 1000))
	while [ "$i" -lt "$RACE_MAX" ] && [ "$(now_ms)" -lt "$end" ]; do
		i=$((i + 1))
		id=$ID-$i
		if create_container "$id" 2>"$BATS_TEST_TMPDIR/create.err"; then
			ok=$((ok + 1))
			"$check" "$id" || { echo "create $i: check failed"; return 1; }
			berth delete --force "$id"
		else
			failed=$((failed + 1))
			cat "$BATS_TEST_TMPDIR/create.err"
			grep -qF -- "$words" "$BATS_TEST_TMPDIR/create.err" || { echo "create $i: unexpected error"; return 1; }
			[ ! -e "$ROOT/$id" ] || { echo "create $i: state left behind"; return 1; }
		fi
		# between creates too: nothing on the host
		no_host_escape || return 1
	done
	echo "$i creates: $ok succeeded, $failed refused"
	[ "$i" -ge 3 ]
}

# no_host_escape: no mount of the host's lies under this test's directory other than the
# rootfs and what is below it, and nothing was made in $OUTSIDE.
no_host_escape() {
	local bad
	bad=$(awk -v t="$BATS_TEST_TMPDIR/" -v r="$BUNDLE/rootfs" \
		'index($5, t) == 1 && $5 != r && index($5, r "/") != 1 { print $5 }' /proc/self/mountinfo)
	if [ -n "$bad" ]; then
		echo "ESCAPE: mounted on the host outside the rootfs: $bad"
		return 1
	fi
	if [ "$(find "$OUTSIDE" | sort)" != "$OUTSIDE_WAS" ]; then
		echo "ESCAPE: made on the host: $(find "$OUTSIDE")"
		return 1
	fi
}

# --- CVE-2021-30465 --------------------------------------------------------------------

# race_mounts LINK: the mounts of the race, a tmpfs and a bind mount below /evil, which
# the swapper turns into the symlink LINK (to $OUTSIDE) and back. The destinations exist
# everywhere the link may lead, so that a runtime that mounts where the link leads on the
# host succeeds in doing so (and the test sees it), and that a safe one mostly succeeds
# too: the link resolved inside the rootfs leads to the rootfs's own $OUTSIDE.
race_mounts() {
	mkdir -p "$BATS_TEST_TMPDIR/src" "$BUNDLE/rootfs/evil/sub" "$BUNDLE/rootfs/evil/bind" \
		"$BUNDLE/rootfs/$OUTSIDE/sub" "$BUNDLE/rootfs/$OUTSIDE/bind" "$OUTSIDE/sub" "$OUTSIDE/bind"
	OUTSIDE_WAS=$(find "$OUTSIDE" | sort)
	echo from-src >"$BATS_TEST_TMPDIR/src/f"
	ln -s "$1" "$BUNDLE/rootfs/evil-link"
	update_config --arg src "$BATS_TEST_TMPDIR/src" '.mounts += [
		{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/evil/bind", "type": "bind", "source": $src, "options": ["bind"]}]'
}

# mounted_in_rootfs ID: (no mount namespace) both mounts are on the host under the rootfs.
mounted_in_rootfs() {
	local r=$BUNDLE/rootfs
	no_host_escape &&
		awk -v r="$r/" 'index($5, r) == 1 && $5 ~ /\/sub$/ && $9 == "tmpfs"' /proc/self/mountinfo | grep -q . &&
		awk -v r="$r/" 'index($5, r) == 1 && $5 ~ /\/bind$/' /proc/self/mountinfo | grep -q .
}

# mounted_in_container ID: both mounts are in the container's own mount table (had one
# landed outside the rootfs, pivot_root would have left it behind).
mounted_in_container() {
	local mi
	mi=/proc/$(pid_of "$1")/mountinfo
	no_host_escape &&
		awk '$5 ~ /\/sub$/ && $9 == "tmpfs"' "$mi" | grep -q . &&
		awk '$5 ~ /\/bind$/' "$mi" | grep -q .
}

@test "CVE-2021-30465: a mount destination swapped with a symlink out of the rootfs never mounts on the host (no mount namespace)" {
	skip_if_runc "1.1.5 leaves the mounts of a container without a mount namespace on the host after delete"
	# Without a mount namespace the mounts are made in the host's: one outside the rootfs
	# would show in our own mountinfo.
	race_mounts "$OUTSIDE"
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .mounts = [.mounts[] | select(.destination == "/proc" or (.destination | startswith("/evil")))]
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	start_swapper "$BUNDLE/rootfs/evil" "$BUNDLE/rootfs/evil-link"
	race_creates mounted_in_rootfs /evil
	stop_swapper
	no_host_escape
}

@test "CVE-2021-30465: a mount destination swapped with a relative symlink out of the rootfs stays in the container (mount namespace)" {
	race_mounts "../../../../../../../../../..$OUTSIDE"
	start_swapper "$BUNDLE/rootfs/evil" "$BUNDLE/rootfs/evil-link"
	race_creates mounted_in_container /evil
	stop_swapper
	no_host_escape
}

@test "maskedPaths and readonlyPaths that are symlinks out of the rootfs protect nothing of the host's (no mount namespace)" {
	echo host-data >"$BATS_TEST_TMPDIR/host-file"
	ln -s "$OUTSIDE" "$BUNDLE/rootfs/masked-dir"
	ln -s "../../../../../../../../..$OUTSIDE" "$BUNDLE/rootfs/ro-dir"
	ln -s "$BATS_TEST_TMPDIR/host-file" "$BUNDLE/rootfs/masked-file"
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .mounts = [.mounts[] | select(.destination == "/proc")]
		| .linux.maskedPaths = ["/masked-dir", "/masked-file"] | .linux.readonlyPaths = ["/ro-dir"]'
	# the runtime may refuse masking without a mount namespace (runc does), or resolve
	# the paths inside the rootfs
	create_container "$ID" || true
	no_host_escape
	# the host's directory and file are as they were: writable, readable
	touch "$OUTSIDE/w" && rm "$OUTSIDE/w"
	[ "$(cat "$BATS_TEST_TMPDIR/host-file")" = host-data ]
	! grep -F -e "$OUTSIDE" -e "$BATS_TEST_TMPDIR/host-file" /proc/self/mountinfo || false
}

# --- CVE-2025-31133 --------------------------------------------------------------------

# a non-empty /proc file to mask (kcore needs CONFIG_PROC_KCORE)
proc_file_to_mask() {
	local f
	for f in /proc/kcore /proc/timer_list /proc/keys; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	skip "no /proc/kcore, /proc/timer_list or /proc/keys on this kernel"
}

# dev_from_host: the container's /dev is a bind mount of the host directory $DEVDIR, so
# that what /dev/null is, is up to the test (as it would be up to a malicious image or a
# container sharing that /dev). Masks a /proc file and a file of the rootfs.
dev_from_host() {
	DEVDIR=$BATS_TEST_TMPDIR/dev
	mkdir -p "$DEVDIR"
	MASKED=$(proc_file_to_mask)
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config --arg d "$DEVDIR" --arg f "$MASKED" '
		.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)]
			+ [{"destination": "/dev", "type": "bind", "source": $d, "options": ["rbind"]}]
		| .linux.maskedPaths = [$f, "/etc/secret"]'
	MASKS=("$MASKED" /etc/secret)
}

# masked_ok ID: the masked paths are the real null device, and read empty (seen from the
# host, through the container's root).
masked_ok() {
	local r f
	r=/proc/$(pid_of "$1")/root
	for f in "${MASKS[@]}"; do
		[ "$(stat -c '%F %t:%T' "$r$f")" = "character special file 1:3" ] || { echo "$f: $(stat -c '%F %t:%T' "$r$f")"; return 1; }
		[ "$(wc -c <"$r$f")" = 0 ] || { echo "$f is not empty"; return 1; }
	done
}

@test "CVE-2025-31133: /dev/null replaced by a symlink, a file, another device or nothing: create fails, nothing unmasked" {
	skip_if_runc "1.1.5 masks with whatever /dev/null is (CVE-2025-31133, fixed in 1.2.8)"
	dev_from_host
	local pattern kind
	pattern=$(cat /proc/sys/kernel/core_pattern)
	for kind in symlink-core_pattern symlink-secret file zero fifo missing; do
		rm -f "$DEVDIR/null"
		case $kind in
		symlink-core_pattern) ln -s /proc/sys/kernel/core_pattern "$DEVDIR/null" ;;
		symlink-secret) ln -s /etc/secret "$DEVDIR/null" ;;
		file) : >"$DEVDIR/null" ;;
		zero) mknod -m 666 "$DEVDIR/null" c 1 5 ;;
		fifo) mkfifo "$DEVDIR/null" ;;
		missing) ;;
		esac
		if create_container "$ID-$kind" 2>/dev/null; then
			echo "$kind: created: $(masked_ok "$ID-$kind")"
			return 1
		fi
		echo "$kind: $(cat "$(cerr "$ID-$kind")")"
		grep -qF /dev/null "$(cerr "$ID-$kind")"
		assert_nothing_left
	done
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$pattern" ]
	# and with the real thing, it works
	rm -f "$DEVDIR/null"
	mknod -m 666 "$DEVDIR/null" c 1 3
	create_container "$ID"
	masked_ok "$ID"
}

@test "CVE-2025-31133: /dev/null swapped with a symlink to core_pattern during create: masked paths are always masked" {
	skip_if_runc "1.1.5 masks with whatever /dev/null is (CVE-2025-31133, fixed in 1.2.8)"
	dev_from_host
	# one masked path: every mask checks /dev/null anew, and each sees the symlink half of
	# the time; the fewer refusals, the more creates reach the mount itself
	update_config '.linux.maskedPaths = [.linux.maskedPaths[0]]'
	MASKS=("$MASKED")
	mknod -m 666 "$DEVDIR/null" c 1 3
	ln -s /proc/sys/kernel/core_pattern "$DEVDIR/evil"
	start_swapper "$DEVDIR/null" "$DEVDIR/evil"
	race_creates masked_ok /dev/null
	stop_swapper
}

@test "a /dev/null planted in the image (a symlink) is replaced by the real device, and masks with it" {
	skip_if_runc "1.1.5 masks with what the image's /dev/null symlink points to (CVE-2025-31133, fixed in 1.2.8)"
	# no /dev mount: the runtime populates the rootfs's own /dev
	ln -sf /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
	MASKED=$(proc_file_to_mask)
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config --arg f "$MASKED" '.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)]
		| .linux.maskedPaths = [$f, "/etc/secret"]'
	MASKS=("$MASKED" /etc/secret)
	create_container "$ID"
	masked_ok "$ID"
	[ "$(stat -c '%F %t:%T' "/proc/$(pid_of "$ID")/root/dev/null")" = "character special file 1:3" ]
}
