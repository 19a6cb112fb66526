#!/usr/bin/env bash
# Helpers of the clients-*.bats files of the systemd lane: the clients users run on
# a systemd host (containerd's CRI, Podman, Docker) in their systemd cgroup
# configuration, driving $BERTH (or runc 1.5.3) in tests/systemd/run.sh's guest.
# Each file starts its daemon once (setup_file) for all its tests, which share the
# containers they make through $BATS_FILE_TMPDIR.
#   $CLIENTS   what tests/systemd/clients-files.sh made on the host (containerd 2.4,
#              crictl, the busybox and pause images), copied into the guest
#   $IMG_TAR   the busybox image (berth.local/busybox:1), $PAUSE_TAR the pause image

# shellcheck source=helpers.bash
. "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

CLIENTS=${CLIENTS:-/opt/berth-clients}
# (helpers.bash's load_props and unit_gone ask the system manager)
# shellcheck disable=SC2034 # used by helpers.bash and the .bats files
SCTL=systemctl
# shellcheck disable=SC2034 # used by the .bats files
{
	IMG_TAR=$CLIENTS/images/busybox.tar
	PAUSE_TAR=$CLIENTS/images/pause.tar
}

# setup_clients_file: the per-file checks: systemd runs, root, the runtime and the
# clients' files are there. Skips, saying why, elsewhere.
setup_clients_file() {
	[ -d /run/systemd/system ] || skip "systemd is not PID 1 here (tests/systemd/run.sh runs these in a systemd guest)"
	[ "$(id -u)" = 0 ] || skip "the clients run as root"
	[ -x "$BERTH" ] || {
		echo "BERTH=$BERTH is not an executable" >&2
		return 1
	}
	[ -s "$IMG_TAR" ] || {
		echo "no $IMG_TAR: tests/systemd/clients-files.sh makes it on the host (run.sh copies it in)" >&2
		return 1
	}
	RT_NAME=$(basename "$BERTH")
	export RT_NAME
}

# save NAME VALUE / load NAME: a value one test makes and a later test of the file uses.
save() { printf '%s' "$2" >"$BATS_FILE_TMPDIR/$1"; }
load_saved() { cat "$BATS_FILE_TMPDIR/$1"; }

# start_service UNIT CMD...: CMD as a transient service (as a packaged daemon runs),
# logging to the journal; waits up to 60 s for `systemctl is-active`.
start_service() {
	local unit=$1
	shift
	systemctl reset-failed "$unit" >/dev/null 2>&1 || true
	systemd-run --quiet --unit="$unit" --property=Delegate=yes --property=KillMode=mixed \
		--property=TasksMax=infinity "$@"
}

# wait_until SECONDS CMD...: CMD succeeds within SECONDS (checked every 0.2 s).
wait_until() {
	local n=$(($1 * 5))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || {
			echo "timed out: $*" >&2
			return 1
		}
		sleep 0.2
	done
}

# unit_active UNIT: the unit's ActiveState is active.
unit_active() { [ "$(systemctl show -P ActiveState "$1")" = active ]; }

# units_matching PATTERN: the loaded units whose names match the glob PATTERN.
units_matching() {
	systemctl list-units --all --plain --no-legend "$1" 2>/dev/null | awk '{print $1}'
}

# cgroup_of PID: the process's cgroup v2 path.
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }

# journal_tail UNIT: the daemon's last log lines, for a failed test's output.
journal_tail() { journalctl -q --no-pager -n 60 -u "$1" 2>&1 || true; }
