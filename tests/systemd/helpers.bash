#!/usr/bin/env bash
# Helpers of the systemd lane (tests/systemd/run.sh runs these files in a guest
# whose PID 1 is systemd, on pure cgroup v2), on top of tests/integration/helpers.bash.
#   $SCTL      systemctl, or `systemctl --user` in the rootless files
#   $SLICE     the slice this file's containers go in
#   $UNIT      the unit of the test's container: berth-$ID.scope (prefix "berth")
#   $CGDIR     its directory: /sys/fs/cgroup + the manager's cgroup + slice + unit

# shellcheck source=../integration/helpers.bash
. "$(dirname "${BASH_SOURCE[0]}")/../integration/helpers.bash"

# setup_systemd [--user]: the per-test setup, for the system manager or (--user) the
# user's own. Skips, saying why, where systemd does not run.
setup_systemd() {
	[ -d /run/systemd/system ] || skip "systemd is not PID 1 here (tests/systemd/run.sh runs these in a systemd guest)"
	if [ "${1:-}" = --user ]; then
		setup_berth --rootless
		[ -n "${ROOTLESS:-}" ] || skip "the user-instance tests run without root (run.sh runs them as berthuser)"
		SCTL="systemctl --user"
		$SCTL show -P Version >/dev/null 2>&1 || skip "no systemd user instance reachable for $(id -un) (XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-unset})"
		SLICE=user.slice
	else
		setup_berth
		SCTL=systemctl
		SLICE=system.slice
	fi
	UNIT=berth-$ID.scope
	# the manager's own cgroup ("" for the system's), then the slice (a slice without
	# units has no ControlGroup yet)
	CGDIR=/sys/fs/cgroup$($SCTL show -P ControlGroup)/$SLICE/$UNIT
	CGDIR=${CGDIR/\/\//\/}
	make_bundle
	update_config --arg p "$SLICE:berth:$ID" '.linux.cgroupsPath = $p'
}

# sd ARGS...: the runtime with --systemd-cgroup and the test's --root.
sd() {
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" --systemd-cgroup "$@" 3>&-
}

# sd_run_d ID: `run -d` with --systemd-cgroup (stdio to $(cout ID), $(cerr ID)).
sd_run_d() {
	local rc=0
	sd run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$1")" "$1" \
		</dev/null >"$(cout "$1")" 2>"$(cerr "$1")" || rc=$?
	if [ "$rc" = 0 ]; then
		track_pid "$(cat "$(pidfile "$1")")"
	else
		cat "$(cerr "$1")" >&2
	fi
	return "$rc"
}

# prop UNIT PROPERTY: the unit's property as systemctl shows it.
prop() {
	$SCTL show -P "$2" "$1"
}

# load_props UNIT: all the unit's properties into the array P (one systemctl call:
# each is slow in an emulated guest).
load_props() {
	local k v
	declare -gA P=()
	# a list property (DeviceAllow) is one line per entry: they are joined
	while IFS='=' read -r k v; do
		P[$k]=${P[$k]:+${P[$k]}$'\n'}$v
	done < <($SCTL show "$1")
	[ "${#P[@]}" -gt 0 ]
}

# unit_gone UNIT: systemd no longer knows the unit (stopped, not failed, collected).
unit_gone() {
	local s
	for _ in $(seq 50); do
		s=$($SCTL show -P LoadState "$1")
		[ "$s" = not-found ] && return 0
		sleep 0.1
	done
	echo "unit $1: LoadState=$s ActiveState=$($SCTL show -P ActiveState "$1") (want not-found)" >&2
	return 1
}

# teardown_systemd: teardown_berth, then no unit named after the test's IDs may be
# left (and one that is, is stopped and reset so that it does not linger).
teardown_systemd() {
	local rc=0 left
	teardown_berth || rc=$?
	[ -n "${SCTL:-}" ] || return "$rc"
	left=$($SCTL list-units --all --plain --no-legend "*$ID*" 2>/dev/null | awk '{print $1}')
	if [ -n "$left" ]; then
		echo "teardown: units left behind: $left" >&2
		# shellcheck disable=SC2086
		$SCTL stop $left >/dev/null 2>&1
		# shellcheck disable=SC2086
		$SCTL reset-failed $left >/dev/null 2>&1
		rc=1
	fi
	if [ -n "${CGDIR:-}" ] && [ -d "$CGDIR" ]; then
		echo "teardown: cgroup left behind: $CGDIR" >&2
		rc=1
	fi
	return "$rc"
}
