# shellcheck shell=bash
# Sourced by the rootless test scripts (tests/integration/rootless-lane.sh,
# tests/clients/podman_rootless.sh): the unprivileged user they run as.

# ensure_test_user NAME: create NAME (a system user with its own group, no home, no
# shell) unless it exists, and give it 65536 subordinate uids and gids after every
# range in /etc/subuid and /etc/subgid unless it has some. Kept for the next run.
ensure_test_user() {
	local user=$1 f
	if ! id "$user" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$user" || return 1
	fi
	for f in subuid subgid; do
		touch "/etc/$f"
		grep -qE "^($user|$(id -u "$user")):[0-9]+:[1-9]" "/etc/$f" && continue
		local start
		start=$(awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' "/etc/$f")
		usermod "--add-${f}s" "$start-$((start + 65535))" "$user" || return 1
	done
}
