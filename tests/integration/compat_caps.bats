#!/usr/bin/env bats
# Behaving as runc 1.5 does (issue 14), capabilities: `exec --cap` never reaches the
# inheritable set (CVE-2022-29162); capabilities that cannot be granted are warnings.

load helpers

setup() {
	setup_berth
	make_bundle
}
teardown() { teardown_berth; }

# Capability numbers (linux/capability.h).
CHOWN=0 KILL=5 NET_BIND_SERVICE=10 NET_ADMIN=12 SYS_PTRACE=19 AUDIT_WRITE=29

# capline OUTPUT SET: the hex value of the CapSET line in OUTPUT (grep Cap /proc/self/status)
capline() {
	sed -n "s/^Cap$2:[[:space:]]*//p" <<<"$1"
}

# exec_fg EXEC ARGS...: foreground `exec` under bats' `run --separate-stderr`.
exec_fg() {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" exec "$@" </dev/null 3>&-
	printf 'exec %s: status=%s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$*" "$status" "$output" "$stderr"
}

@test "compat caps: exec --cap adds to bounding, effective and permitted, never to inheritable" {
	update_config '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	exec_fg --cap CAP_NET_ADMIN "$ID" grep ^Cap /proc/self/status
	[ "$status" -eq 0 ]
	local base want
	base=$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE)
	want=$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE $NET_ADMIN)
	[ "$(capline "$output" Bnd)" = "$want" ]
	[ "$(capline "$output" Prm)" = "$want" ]
	[ "$(capline "$output" Eff)" = "$want" ]
	# CVE-2022-29162: an inheritable capability would pass to any program with that file
	# capability the process runs, beyond what the caller asked for
	[ "$(capline "$output" Inh)" = 0000000000000000 ]
	[ "$(capline "$output" Amb)" = 0000000000000000 ]
	# the container's init is as configured
	local init
	init=$(pid_of "$ID")
	grep -qx "CapEff:[[:space:]]*$base" "/proc/$init/status"
	grep -qx "CapInh:[[:space:]]*0000000000000000" "/proc/$init/status"
}

@test "compat caps: exec --cap gives ambient only what the inheritable set already holds" {
	# CAP_NET_ADMIN is inheritable (so in the bounding set too) but not permitted
	update_config '.process.args = ["sleep", "1000"]
		| .process.capabilities.bounding += ["CAP_NET_ADMIN"]
		| .process.capabilities.inheritable = ["CAP_NET_ADMIN"]'
	run_detached "$ID"
	# a non-root user keeps across execve only what is ambient
	exec_fg -u 1000:1000 --cap CAP_NET_ADMIN --cap CAP_SYS_PTRACE "$ID" sh -c 'grep ^Cap /proc/self/status; ip link set lo down && echo lo-down'
	[ "$status" -eq 0 ]
	[ "$(capline "$output" Inh)" = "$(capmask $NET_ADMIN)" ]
	[ "$(capline "$output" Amb)" = "$(capmask $NET_ADMIN)" ]
	[ "$(capline "$output" Eff)" = "$(capmask $NET_ADMIN)" ]
	[ "$(capline "$output" Bnd)" = "$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE $NET_ADMIN $SYS_PTRACE)" ]
	[ "${lines[-1]}" = lo-down ]
	# without --cap, nothing is ambient: bringing lo back up fails
	exec_fg -u 1000:1000 "$ID" sh -c 'grep ^CapAmb /proc/self/status; ip link set lo up 2>&1 || echo refused'
	[ "$status" -eq 0 ]
	[ "$(capline "$output" Amb)" = 0000000000000000 ]
	[ "${lines[-1]}" = refused ]
}

@test "compat caps: unknown capability names are warnings; the container runs with the rest" {
	local set
	for set in bounding effective permitted inheritable ambient; do
		make_bundle "$BATS_TEST_TMPDIR/b-$set"
		update_config --arg s "$set" '.process.args = ["grep", "^Cap", "/proc/self/status"]
			| .process.capabilities[$s] = ((.process.capabilities[$s] // []) + ["CAP_NOT_A_CAP"])'
		run_fg "$ID-$set"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *warn*CAP_NOT_A_CAP* ]]
		[ "$(capline "$output" Bnd)" = "$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE)" ]
		[ "$(capline "$output" Eff)" = "$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE)" ]
	done
	# exec --cap with an unknown name: a warning too, and the process runs
	update_config '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	exec_fg --cap CAP_NOT_A_CAP "$ID" grep ^CapEff /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$stderr" == *warn*CAP_NOT_A_CAP* ]]
	[ "$(capline "$output" Eff)" = "$(capmask $KILL $NET_BIND_SERVICE $AUDIT_WRITE)" ]
}

@test "compat caps: an ambient capability that cannot be raised is a warning; the others are raised" {
	# CAP_CHOWN is ambient but not inheritable: the kernel refuses to raise it
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.args = ["grep", "^Cap", "/proc/self/status"]
		| .process.capabilities.inheritable = ["CAP_KILL"]
		| .process.capabilities.ambient = ["CAP_CHOWN", "CAP_KILL"]'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *warn*CAP_CHOWN* ]]
	[ "$(capline "$output" Amb)" = "$(capmask $KILL)" ]
	[ "$(capline "$output" Eff)" = "$(capmask $KILL)" ]
}
