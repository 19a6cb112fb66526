#!/usr/bin/env bash
# The rootless lane: rerun the tests that must also pass without root (lifecycle.bats,
# exec.bats) and the rootless ones (rootless.bats) as an unprivileged user.
#
# Run as root (it sets the user up):  tests/integration/rootless-lane.sh [BATS ARGS...]
#   - the user $LANE_USER (default berthtest) is created if missing, with ranges of
#     65536 subordinate ids in /etc/subuid and /etc/subgid (for newuidmap/newgidmap);
#     it is kept for the next run (`userdel berthtest` and its two lines remove it);
#   - the binary ($BERTH, default <repo>/berth), the tests and the rootfs script are
#     copied to a temporary directory the user can read (the checkout may not be), with
#     the Go test helpers (tests/cmd/*) built there;
#   - where the host lets root make cgroups, the lane runs inside cgroups of its own,
#     delegated to the user (owned by it, as systemd delegates a user's session), so
#     that a relative linux.cgroupsPath works (BERTH_TEST_DELEGATED=1); absolute ones
#     stay out of the user's reach and are skipped by berth;
#   - bats runs through setpriv as that user, with XDG_RUNTIME_DIR, HOME and TMPDIR in
#     the temporary directory. Its exit status is the lane's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BERTH=${BERTH:-$repo/berth}
LANE_USER=${LANE_USER:-berthtest}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

die() {
	echo "rootless-lane: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "run as root: it creates the user $LANE_USER"
[ -x "$BERTH" ] || die "BERTH=$BERTH is not an executable (make berth)"
for c in setpriv newuidmap newgidmap bats jq useradd usermod; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs what the tests need)"
done

# --- the user and its subordinate ids ------------------------------------------------

# shellcheck source=../lib/testuser.sh
. "$(dirname "$0")/../lib/testuser.sh"
ensure_test_user "$LANE_USER" || die "cannot create the user $LANE_USER or its subordinate ids"

# --- a workspace the user can read ---------------------------------------------------

work=$(mktemp -d /tmp/berth-rootless.XXXXXX)
chmod 0755 "$work"
delegated=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local d
	# back to our own cgroups, so the delegated ones can go (children first)
	for d in "${delegated[@]}"; do
		echo $$ >"$(dirname "$d")/cgroup.procs" 2>/dev/null || true
	done
	for d in "${delegated[@]}"; do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/repo/tests" "$work/repo/scripts" "$work/tmp" "$work/xdg" "$work/home"
cp "$BERTH" "$work/repo/berth"
cp -r "$here" "$work/repo/tests/integration"
cp "$repo/scripts/mkrootfs.sh" "$work/repo/scripts/"
# the Go test helpers (tests/cmd/*), built here: the user has no Go cache
mkdir "$work/cmds"
for c in "$repo"/tests/cmd/*/; do
	c=$(basename "$c")
	(cd "$repo" && "$GO" build -buildvcs=false -o "$work/cmds/$c" "./tests/cmd/$c")
done
chmod -R a+rX "$work/repo" "$work/cmds"
chown "$LANE_USER:" "$work/tmp" "$work/xdg" "$work/home"
chmod 0700 "$work/xdg"

# --- delegated cgroups ---------------------------------------------------------------

# mount_of CONTROLLERS: the mount point of the hierarchy of /proc/self/cgroup's second
# field (empty: cgroup v2), from /proc/self/mountinfo.
mount_of() {
	awk -v want="$1" '
	{
		for (i = 7; $i != "-"; i++) ;
		fstype = $(i + 1); opts = "," $(i + 3) ","
		if (want == "") { if (fstype == "cgroup2") { print $5; exit } ; next }
		if (fstype != "cgroup") next
		n = split(want, c, ",")
		ok = 1
		for (j = 1; j <= n; j++) if (index(opts, "," c[j] ",") == 0) ok = 0
		if (ok) { print $5; exit }
	}' /proc/self/mountinfo
}

delegate_cgroups() {
	local line ctrls path mnt dir f
	while IFS= read -r line; do
		ctrls=${line#*:}
		path=${ctrls#*:}
		ctrls=${ctrls%%:*}
		mnt=$(mount_of "$ctrls")
		[ -n "$mnt" ] || continue
		dir=$mnt${path%/}/$LANE_USER-lane-$$
		mkdir "$dir" || return 1
		delegated+=("$dir")
		# a v1 cpuset cgroup refuses tasks until it has cpus and mems
		for f in cpuset.cpus cpuset.mems; do
			[ -e "$dir/$f" ] && cat "$(dirname "$dir")/$f" >"$dir/$f"
		done
		chown -R "$LANE_USER:" "$dir" || return 1
	done </proc/self/cgroup
	local d
	for d in "${delegated[@]}"; do
		echo $$ >"$d/cgroup.procs" || return 1
	done
}
export BERTH_TEST_DELEGATED=
if delegate_cgroups 2>"$work/delegate.err"; then
	BERTH_TEST_DELEGATED=1
else
	echo "rootless-lane: no delegated cgroups ($(cat "$work/delegate.err")): the tests that need one skip" >&2
fi

# --- run -----------------------------------------------------------------------------

# .bats arguments name files of the copy; others (-f, --jobs, ...) go to bats as given
args=()
for a in "$@"; do
	case $a in
	*.bats) args+=("$work/repo/tests/integration/$(basename "$a")") ;;
	*) args+=("$a") ;;
	esac
done
if [ ${#args[@]} -eq 0 ]; then
	args=("$work/repo/tests/integration/lifecycle.bats" "$work/repo/tests/integration/exec.bats"
		"$work/repo/tests/integration/rootless.bats")
fi
echo "rootless-lane: as $LANE_USER ($(id -u "$LANE_USER")), $(grep "^$LANE_USER:" /etc/subuid | head -1) in /etc/subuid, delegated cgroups: ${BERTH_TEST_DELEGATED:-no}" >&2
cd "$work"
rc=0
setpriv --reuid="$LANE_USER" --regid="$LANE_USER" --init-groups --reset-env \
	env HOME="$work/home" TMPDIR="$work/tmp" XDG_RUNTIME_DIR="$work/xdg" SHELL=/bin/sh \
	PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
	BERTH="$work/repo/berth" BERTH_TEST_CMDS="$work/cmds" \
	BERTH_TEST_DELEGATED="$BERTH_TEST_DELEGATED" BERTH_TIMEOUT="${BERTH_TIMEOUT:-60}" \
	bats "${args[@]}" || rc=$?
exit "$rc"
