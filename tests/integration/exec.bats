#!/usr/bin/env bats
# exec: more processes in a running container (issue 5): the container's namespaces,
# cgroup, rootfs and mounts; the flags (-u -e --cwd --cap --no-new-privs -g
# --preserve-fds --pid-file -d -t --console-socket --ignore-paused) and --process
# FILE.json; exit status and signals; refusals; 50 concurrent execs; no fd inherited.

load helpers

setup_file() { build_recvtty; }

setup() {
	setup_berth --rootless
	make_bundle
	hostdir_mount
	# a tmpfs from config.json, that exec must see (the mount point is made here: the
	# rootfs is read-only)
	mkdir -p "$BUNDLE/rootfs/scratch"
	# init: pid 1 that does nothing (and reaps nothing: a zombie left behind shows)
	# (rootless: the user namespace as well, which the others are owned by)
	update_config --arg rl "${ROOTLESS:-}" '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1777"]}]
		| .hostname = "exec-host" | .process.args = ["sleep", "1000"]
		| .linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]
			+ (if $rl != "" then [{"type": "user"}] else [] end)'
	if [ -n "${ROOTLESS:-}" ] && [ -n "${BERTH_TEST_DELEGATED:-}" ]; then
		# rootless: a cgroup of its own under the lane's, which the user owns (absolute
		# paths are out of its reach, and berth would run the container without one)
		update_config --arg p "$ID" '.linux.cgroupsPath = $p'
	fi
}
teardown() {
	# a test that paused the container resumes it first, even when it failed half-way
	# (a paused container's init cannot die of SIGKILL until thawed)
	if [ -n "${PAUSED:-}" ]; then
		berth resume "$PAUSED" >/dev/null 2>&1 || true
	fi
	teardown_berth
}

# start_ctr: run -d the container; INIT is its init's host pid.
start_ctr() {
	run_detached "$ID"
	INIT=$(pid_of "$ID")
	[ -n "$INIT" ] && [ "$INIT" != 0 ]
	pid_alive "$INIT"
}

# exec_fg EXEC ARGS...: foreground `exec` under bats' `run --separate-stderr` ($status,
# $output, $stderr), stdin from /dev/null; what it got is echoed for a failing test.
exec_fg() {
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" exec "$@" </dev/null 3>&-
	printf 'exec %s: status=%s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$*" "$status" "$output" "$stderr"
}

# exec_d NAME EXEC ARGS...: `exec -d --pid-file` with stdin /dev/null and stdout/stderr
# to $(cout NAME)/$(cerr NAME) (a detached process must not hold a pipe bats reads).
# Sets EPID to the exec'd process's host pid, tracked (teardown fails if it outlives
# the container).
exec_d() {
	local name=$1 rc=0
	shift
	timeout --foreground -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec -d \
		--pid-file "$(pidfile "$name")" "$@" </dev/null >"$(cout "$name")" 2>"$(cerr "$name")" 3>&- || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$(cerr "$name")" >&2
		return "$rc"
	fi
	EPID=$(cat "$(pidfile "$name")")
	track_pid "$EPID"
	[ -n "$EPID" ] && pid_alive "$EPID"
}

# exec_bg NAME EXEC ARGS...: a FOREGROUND `exec --pid-file`, run in the background (its
# stdio as exec_d's), for host-side checks of a live process. Sets EPID (tracked) and
# EXEC_JOB (the runtime's job). The process is the runtime's child, reaped by it at once
# (a detached one is orphaned to the host's init, which may take a second to reap it, and
# a container's pid namespace cannot go away before).
exec_bg() {
	local name=$1
	shift
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec --pid-file "$(pidfile "$name")" "$@" \
		</dev/null >"$(cout "$name")" 2>"$(cerr "$name")" 3>&- &
	EXEC_JOB=$!
	wait_for_file "$(pidfile "$name")" || {
		cat "$(cerr "$name")" >&2
		return 1
	}
	EPID=$(cat "$(pidfile "$name")")
	track_pid "$EPID"
	pid_alive "$EPID"
}

# end_bg: SIGKILL the process of exec_bg; its runtime must return 137 (128+9).
end_bg() {
	local rc=0
	kill -KILL "$EPID"
	wait "$EXEC_JOB" || rc=$?
	echo "exec job: exit $rc"
	[ "$rc" -eq 137 ]
}

# status_field PID FIELD: a field of /proc/PID/status ("Uid", "CapEff", ...), its value
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# pidns_procs PID: host pids of every process (zombies too) in PID's pid namespace
pidns_procs() {
	local ino
	ino=$(stat -Lc %i "/proc/$1/ns/pid") || return 1
	# one stat for all (a readlink per process is slow on a busy host)
	stat -Lc '%i %n' /proc/[0-9]*/ns/pid 2>/dev/null | awk -v i="$ino" '$1 == i { split($2, a, "/"); printf "%s ", a[3] }'
	echo
}

# only_init_left [GRACE_SECONDS=0]: the container holds exactly its init: per the runtime
# (ps) and per the host (every process in its pid namespace, zombies included). Without
# GRACE, at once: a foreground `exec` has reaped what it started before it returns. A
# DETACHED exec's process, once dead, is reaped by the host's init instead, which may
# take a second: give GRACE for that.
only_init_left() {
	local ps procs end=$(($(now_ms) + ${1:-0} * 1000))
	while :; do
		ps=$(berth ps --format json "$ID" | jq -c 'sort')
		procs=$(pidns_procs "$INIT")
		[ "$ps" = "[$INIT]" ] && [ "$procs" = "$INIT " ] && return 0
		[ "$(now_ms)" -lt "$end" ] || break
		sleep 0.05
	done
	echo "left in the container: ps=$ps pidns=$procs" >&2
	for p in $procs; do
		echo "  $p: $(cat "/proc/$p/comm" 2>/dev/null) state $(proc_state "$p")" >&2
	done
	return 1
}

# fd_list PID: the fd numbers of PID, one line
fd_list() {
	ls "/proc/$1/fd" | sort -n | tr '\n' ' '
}

# --- the container's view ------------------------------------------------------------

@test "exec: sees the container's pid 1, hostname, rootfs and mounts" {
	start_ctr
	echo from-host >"$HOSTDIR/in"
	exec_fg "$ID" sh -c 'tr "\0" " " </proc/1/cmdline; echo; hostname; echo $$; grep " /scratch " /proc/self/mounts; cat /host/in; echo from-exec > /scratch/f; ls /scratch'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" = exec-host ]
	# not pid 1 (init is), but a pid of the container's namespace
	[ "${lines[2]}" -gt 1 ]
	[[ "${lines[3]}" == "tmpfs /scratch tmpfs "* ]]
	[[ "${lines[3]}" == *size=1024k* ]]
	[ "${lines[4]}" = from-host ]
	[ "${lines[5]}" = f ]
	# outside: what the exec wrote is in init's tmpfs (same mount namespace), not in the
	# bundle's directory under it
	[ "$(cat "/proc/$INIT/root/scratch/f")" = from-exec ]
	[ ! -e "$BUNDLE/rootfs/scratch/f" ]
	# a second exec sees the first one's file
	exec_fg "$ID" cat /scratch/f
	[ "$status" -eq 0 ]
	[ "$output" = from-exec ]
	only_init_left
}

@test "exec: joins every namespace of init, and its cgroups (host view)" {
	start_ctr
	exec_d e "$ID" sleep 100
	[ "$EPID" != "$INIT" ]
	local ns n=0
	for ns in /proc/"$INIT"/ns/*; do
		ns=${ns##*/}
		echo "$ns: init $(readlink "/proc/$INIT/ns/$ns") exec $(readlink "/proc/$EPID/ns/$ns")"
		[ "$(readlink "/proc/$EPID/ns/$ns")" = "$(readlink "/proc/$INIT/ns/$ns")" ]
		n=$((n + 1))
	done
	[ "$n" -ge 7 ]
	# the container's namespaces are not the host's
	for ns in pid net ipc uts mnt cgroup; do
		[ "$(ns_inode "$EPID" "$ns")" != "$(ns_inode $$ "$ns")" ]
	done
	# same cgroup in every hierarchy
	cat "/proc/$INIT/cgroup" "/proc/$EPID/cgroup"
	[ "$(cat "/proc/$EPID/cgroup")" = "$(cat "/proc/$INIT/cgroup")" ]
	# the runtime lists it among the container's processes
	berth ps --format json "$ID" | jq -e --argjson e "$EPID" --argjson i "$INIT" 'sort == ([$e, $i] | sort)'
	kill -KILL "$EPID"
	# inside: the exec'd process's cgroup is init's, the root of its cgroup namespace
	exec_fg "$ID" sh -c '[ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo same; cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = same ]
	[ "${#lines[@]}" -ge 2 ]
	[ -z "$(sed 1d <<<"$output" | grep -v ':/$')" ]
}

# --- flags -------------------------------------------------------------------------

@test "exec -u 1000:1000: uid and gid, inside and on the host" {
	start_ctr
	exec_fg -u 1000:1000 "$ID" sh -c 'id -u; id -g; grep ^Uid: /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[[ "${lines[2]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	exec_bg e -u 1000:1000 "$ID" sleep 100
	# on the host: the ids they map to (themselves without a user namespace)
	local u g r
	u=$(host_id uid 1000) g=$(host_id gid 1000) r=$(host_id uid 0)
	[ "$(status_field "$EPID" Uid)" = "$u	$u	$u	$u" ]
	[ "$(status_field "$EPID" Gid)" = "$g	$g	$g	$g" ]
	# init is untouched
	[ "$(status_field "$INIT" Uid)" = "$r	$r	$r	$r" ]
	end_bg
}

@test "exec -g: additional gids" {
	start_ctr
	exec_fg -u 1000:1000 -g 29 -g 4242 "$ID" sh -c 'id -g; grep ^Groups: /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[[ "${lines[1]}" =~ ^Groups:[[:space:]]+29[[:space:]]4242[[:space:]]*$ ]]
	exec_bg e -u 1000:1000 -g 29 -g 4242 "$ID" sleep 100
	[ "$(status_field "$EPID" Groups | xargs)" = "$(host_id gid 29) $(host_id gid 4242)" ]
	end_bg
}

@test "exec -e: sets a variable, keeps the container's environment, overrides one" {
	start_ctr
	exec_fg -e FOO=bar -e TERM=dumb "$ID" env
	[ "$status" -eq 0 ]
	grep -qx 'FOO=bar' <<<"$output"
	# the container's own environment (config.json) is kept...
	grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$output"
	# ...and a variable given again replaces it: exactly one TERM, the new one
	[ "$(grep -c '^TERM=' <<<"$output")" = 1 ]
	grep -qx 'TERM=dumb' <<<"$output"
	# nothing of the caller's
	[[ "$output" != *BATS_* ]]
	exec_bg e -e FOO=bar "$ID" sleep 100
	tr '\0' '\n' <"/proc/$EPID/environ" | grep -qx FOO=bar
	tr '\0' '\n' <"/proc/$EPID/environ" | grep -qx TERM=xterm
	[ -z "$(tr '\0' '\n' <"/proc/$INIT/environ" | grep '^FOO=')" ]
	end_bg
}

@test "exec --cwd /tmp: the process starts there (inside: pwd; host: /proc/PID/cwd)" {
	start_ctr
	exec_fg --cwd /tmp "$ID" pwd
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
	# without --cwd: the container's cwd
	exec_fg "$ID" pwd
	[ "$output" = / ]
	exec_bg e --cwd /tmp "$ID" sleep 100
	[ "$(stat -Lc '%d:%i' "/proc/$EPID/cwd")" = "$(stat -c '%d:%i' "$BUNDLE/rootfs/tmp")" ]
	end_bg
}

@test "exec --cap CAP_NET_ADMIN: the capability is effective (and not without --cap)" {
	start_ctr
	# CAP_NET_ADMIN is bit 12
	exec_fg "$ID" sh -c 'grep ^CapEff: /proc/self/status'
	[ "$status" -eq 0 ]
	[ $((0x${output##*[[:space:]]} >> 12 & 1)) -eq 0 ]
	exec_fg --cap CAP_NET_ADMIN "$ID" sh -c 'grep ^CapEff: /proc/self/status; ip link set lo up && echo lo-up'
	[ "$status" -eq 0 ]
	[ $((0x${lines[0]##*[[:space:]]} >> 12 & 1)) -eq 1 ]
	# the default capabilities stay (CAP_KILL, bit 5)
	[ $((0x${lines[0]##*[[:space:]]} >> 5 & 1)) -eq 1 ]
	[ "${lines[1]}" = lo-up ]
	exec_bg e --cap CAP_NET_ADMIN "$ID" sleep 100
	[ $((0x$(status_field "$EPID" CapEff) >> 12 & 1)) -eq 1 ]
	[ $((0x$(status_field "$INIT" CapEff) >> 12 & 1)) -eq 0 ]
	end_bg
}

@test "exec --no-new-privs: NoNewPrivs 1 (and 0 without it, when config.json says false)" {
	update_config '.process.noNewPrivileges = false'
	start_ctr
	exec_fg "$ID" grep ^NoNewPrivs: /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+0$ ]]
	exec_fg --no-new-privs "$ID" grep ^NoNewPrivs: /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+1$ ]]
	exec_bg e --no-new-privs "$ID" sleep 100
	[ "$(status_field "$EPID" NoNewPrivs)" = 1 ]
	[ "$(status_field "$INIT" NoNewPrivs)" = 0 ]
	end_bg
}

@test "exec --preserve-fds 1: fd 3 reaches the process, fd 4 does not" {
	start_ctr
	echo passed-in >"$BATS_TEST_TMPDIR/fd3"
	echo not-passed >"$BATS_TEST_TMPDIR/fd4"
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" exec --preserve-fds 1 "$ID" \
		sh -c 'cat <&3; [ -e /proc/$$/fd/4 ] && echo fd4-leaked; echo end' \
		</dev/null 3<"$BATS_TEST_TMPDIR/fd3" 4<"$BATS_TEST_TMPDIR/fd4"
	echo "status=$status output=$output stderr=$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "passed-in
end" ]
	# host side: the live process holds fd 3 (that file) and nothing past it
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec --preserve-fds 1 \
		--pid-file "$(pidfile e)" "$ID" sleep 100 \
		</dev/null >"$(cout e)" 2>"$(cerr e)" 3<"$BATS_TEST_TMPDIR/fd3" 4<"$BATS_TEST_TMPDIR/fd4" &
	EXEC_JOB=$!
	wait_for_file "$(pidfile e)"
	EPID=$(cat "$(pidfile e)")
	track_pid "$EPID"
	[ "$(fd_list "$EPID")" = "0 1 2 3 " ]
	[ "$(stat -Lc %i "/proc/$EPID/fd/3")" = "$(stat -c %i "$BATS_TEST_TMPDIR/fd3")" ]
	end_bg
}

@test "exec --pid-file: the exec'd process's host pid, written atomically" {
	start_ctr
	mkdir "$BATS_TEST_TMPDIR/pids"
	berth exec -d --pid-file "$BATS_TEST_TMPDIR/pids/e.pid" "$ID" sleep 123 \
		</dev/null >"$(cout e)" 2>"$(cerr e)"
	# only the file: no temporary left beside it
	[ "$(ls -A "$BATS_TEST_TMPDIR/pids")" = e.pid ]
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/pids/e.pid")
	track_pid "$pid"
	# exactly a number (optionally a newline), a live process: the exec'd sleep
	[[ "$pid" =~ ^[0-9]+$ ]]
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 123 " ]
	# a host pid: it has a second, different pid in the container's namespace
	local nspid
	nspid=$(status_field "$pid" NSpid)
	[[ "$nspid" =~ ^${pid}[[:space:]]+([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -gt 1 ]
	# and it is in the container's pid namespace
	[ "$(ns_inode "$pid" pid)" = "$(ns_inode "$INIT" pid)" ]
	kill -KILL "$pid"
	# an existing pid file is replaced by a rename (a reader never sees it half
	# written): it is a new file, the old one still holds the old pid
	local ino pid2
	ino=$(stat -c %i "$BATS_TEST_TMPDIR/pids/e.pid")
	exec {old}<"$BATS_TEST_TMPDIR/pids/e.pid"
	berth exec -d --pid-file "$BATS_TEST_TMPDIR/pids/e.pid" "$ID" sleep 124 \
		</dev/null >"$(cout e2)" 2>"$(cerr e2)"
	pid2=$(cat "$BATS_TEST_TMPDIR/pids/e.pid")
	track_pid "$pid2"
	[ "$(cat <&$old)" = "$pid" ]
	exec {old}<&-
	[ "$(stat -c %i "$BATS_TEST_TMPDIR/pids/e.pid")" != "$ino" ]
	[ "$pid2" != "$pid" ]
	[ "$(tr '\0' ' ' <"/proc/$pid2/cmdline")" = "sleep 124 " ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/pids")" = e.pid ]
	kill -KILL "$pid2"
}

# --- --process FILE.json -------------------------------------------------------------

@test "exec --process FILE.json: args, env, cwd and user from the file" {
	start_ctr
	cat >"$BATS_TEST_TMPDIR/process.json" <<'EOF'
{
	"terminal": false,
	"user": {"uid": 1000, "gid": 1000, "additionalGids": [29]},
	"args": ["sh", "-c", "id -u; id -g; pwd; echo \"$FOO\"; env | sort; grep ^Groups: /proc/self/status"],
	"env": ["PATH=/bin", "FOO=from-file"],
	"cwd": "/tmp"
}
EOF
	exec_fg --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = from-file ]
	# the file's env replaces the container's: no TERM from config.json
	grep -qx 'PATH=/bin' <<<"$output"
	[ "$(grep -c '^TERM=' <<<"$output")" = 0 ]
	[[ "${lines[-1]}" =~ ^Groups:[[:space:]]+29[[:space:]]*$ ]]
	# host side, on a live one (--pid-file, as containerd passes it)
	jq '.args = ["sleep", "100"]' "$BATS_TEST_TMPDIR/process.json" >"$BATS_TEST_TMPDIR/p2.json"
	exec_bg e --process "$BATS_TEST_TMPDIR/p2.json" "$ID"
	local u
	u=$(host_id uid 1000)
	[ "$(status_field "$EPID" Uid)" = "$u	$u	$u	$u" ]
	[ "$(stat -Lc '%d:%i' "/proc/$EPID/cwd")" = "$(stat -c '%d:%i' "$BUNDLE/rootfs/tmp")" ]
	if [ -z "${ROOTLESS:-}" ]; then
		tr '\0' '\n' <"/proc/$EPID/environ" | grep -qx FOO=from-file
	else
		# environ is readable by its owner only, here a subordinate uid the user is not:
		# read it as that uid, in the container (its pid there from the host's NSpid)
		local nspid
		nspid=$(status_field "$EPID" NSpid | awk '{ print $NF }')
		berth exec -u 1000:1000 "$ID" cat "/proc/$nspid/environ" </dev/null | tr '\0' '\n' | grep -qx FOO=from-file
	fi
	[ "$(ns_inode "$EPID" mnt)" = "$(ns_inode "$INIT" mnt)" ]
	end_bg
}

@test "exec --process: a malformed or missing file is a clear error naming it; nothing runs" {
	start_ctr
	local f=$BATS_TEST_TMPDIR/bad-process.json
	printf '{"args": ["sh", "-c", "touch /host/ran"], "cwd": "/"' >"$f"
	exec_fg --process "$f" "$ID"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
	sleep 0.2
	[ ! -e "$HOSTDIR/ran" ]
	only_init_left
	[ "$(status_of "$ID")" = running ]

	exec_fg --process "$BATS_TEST_TMPDIR/no-such-process.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no-such-process.json* ]]
	only_init_left

	# runc: `json.Decode` error as is ("unexpected EOF"), without the file's name
	skip_if_runc "a malformed process.json's error does not name the file"
	exec_fg --process "$f" "$ID"
	[[ "$stderr" == *bad-process.json* ]]
}

# --- exit status, signals, detach ----------------------------------------------------

@test "exec: exit codes pass through (3, 0), stdio is the caller's" {
	start_ctr
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" exec "$ID" sh -c 'read l; echo "out:$l"; echo "err:$l" >&2; exit 3' <<<hello 3>&-
	echo "status=$status output=$output stderr=$stderr"
	[ "$status" -eq 3 ]
	[ "$output" = out:hello ]
	[ "$stderr" = err:hello ]
	exec_fg "$ID" true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	# the container is not affected
	[ "$(status_of "$ID")" = running ]
	only_init_left
}

@test "exec: a process killed by a signal gives 128+N (TERM -> 143, KILL -> 137)" {
	start_ctr
	exec_fg "$ID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	exec_fg "$ID" sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	[ "$(status_of "$ID")" = running ]
	pid_alive "$INIT"
	only_init_left
}

@test "exec: a signal sent to the foreground runtime reaches the process" {
	start_ctr
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec --pid-file "$(pidfile e)" "$ID" \
		sh -c 'trap "echo got-usr1; exit 9" USR1; echo ready > /host/ready; while :; do sleep 0.05; done' \
		</dev/null >"$(cout e)" 2>"$(cerr e)" 3>&- &
	local rpid=$! rc=0
	wait_for_file "$HOSTDIR/ready"
	track_pid "$(cat "$(pidfile e)")"
	# the runtime itself (timeout's child), not the process
	local berth_pid
	berth_pid=$(pgrep -P "$rpid")
	kill -USR1 "$berth_pid"
	wait "$rpid" || rc=$?
	cat "$(cerr e)"
	[ "$rc" -eq 9 ]
	[ "$(cat "$(cout e)")" = got-usr1 ]
	only_init_left
}

@test "exec -d: returns at once, the process runs on with the caller's stdout" {
	start_ctr
	# "At once" is not a time: the process cannot end before /host/go exists,
	# so exec -d returning at all while done is absent shows it did not wait.
	exec_d e "$ID" sh -c 'echo started; echo started > /host/started; while [ ! -e /host/go ]; do sleep 0.05; done; echo done > /host/done'
	[ ! -e "$HOSTDIR/done" ]
	wait_for_file "$HOSTDIR/started"
	pid_alive "$EPID"
	berth ps --format json "$ID" | jq -e --argjson e "$EPID" 'index($e) != null'
	wait_for_file "$(cout e)"
	[ "$(cat "$(cout e)")" = started ]
	touch "$HOSTDIR/go"
	wait_for_file "$HOSTDIR/done"
	wait_pid_gone "$EPID"
	[ "$(status_of "$ID")" = running ]
}

# --- terminal ------------------------------------------------------------------------

@test "exec -t -d --console-socket: the pty master goes to the socket; tty is /dev/pts/N" {
	start_ctr
	local sock=$BATS_TEST_TMPDIR/console.sock out=$BATS_TEST_TMPDIR/tty.out
	"$RECVTTY" -name-file "$BATS_TEST_TMPDIR/pty.name" "$sock" >"$out" 2>"$BATS_TEST_TMPDIR/recvtty.err" 3>&- &
	local rpid=$! i
	track_pid "$rpid"
	for i in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.02
	done
	exec_d e -t --console-socket "$sock" "$ID" \
		sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; while [ ! -e /host/go ]; do sleep 0.05; done; echo bye'
	local end=$(($(now_ms) + 5000))
	until grep -q all-ttys "$out"; do
		[ "$(now_ms)" -lt "$end" ] || break
		sleep 0.05
	done
	cat -A "$out"
	local name
	name=$(tr -d '\r' <"$out" | sed -n 1p)
	[[ "$name" =~ ^/dev/pts/[0-9]+$ ]]
	[ "$(tr -d '\r' <"$out" | sed -n 2p)" = all-ttys ]
	# host side: the process's stdio are that pty; nothing went to the runtime's stdout
	[ "$(readlink "/proc/$EPID/fd/0")" = "$name" ]
	[ "$(readlink "/proc/$EPID/fd/1")" = "$name" ]
	[ "$(readlink "/proc/$EPID/fd/2")" = "$name" ]
	[ ! -s "$(cout e)" ]
	[ -s "$BATS_TEST_TMPDIR/pty.name" ]
	touch "$HOSTDIR/go"
	local rc=0
	wait "$rpid" || rc=$?
	cat "$BATS_TEST_TMPDIR/recvtty.err"
	[ "$rc" -eq 0 ]
	[ "$(tr -d '\r' <"$out" | sed -n 3p)" = bye ]
	# (a detached process: reaped by the host's init)
	only_init_left 3
}

@test "exec -t in the foreground (under script): the pty is proxied, the exit status returned" {
	start_ctr
	local cmd
	printf -v cmd '%q ' "$BERTH" --root "$ROOT" exec -t "$ID" sh -c 'tty; echo fg-exec-tty; exit 5'
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 5 ]
	# script, at the end of its stdin, hands the pty a byte that the terminal echoes as
	# "^@"; by timing it lands before either line (CI saw it before the second).
	local out
	out=$(tr -d '\r\0' <<<"$output" | sed 's/\^@//g')
	grep -qx '/dev/pts/[0-9]*' <<<"$out"
	grep -qx fg-exec-tty <<<"$out"
	[ "$(status_of "$ID")" = running ]
	only_init_left
}

# --- refusals ------------------------------------------------------------------------

@test "exec into a stopped container: refused ('not running'/'stopped'), nothing runs" {
	update_config '.process.args = ["true"]'
	run_detached "$ID"
	wait_for_status "$ID" stopped
	exec_fg "$ID" sh -c 'touch /host/ran'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not running"* ]] || [[ "$stderr" == *stopped* ]]
	[ -z "$output" ]
	sleep 0.2
	[ ! -e "$HOSTDIR/ran" ]
	[ "$(status_of "$ID")" = stopped ]
	# init, reparented to the host's init when run -d returned, may still be an
	# unreaped zombie on a loaded machine: give the reaper a moment
	[ -z "$(stray_procs "$ID")" ]
	# the state is the container's only
	[ "$(berth list -q)" = "$ID" ]
}

@test "exec into a container that does not exist: 'does not exist', nothing made" {
	exec_fg "$ID-nope" sh -c 'true'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
	[ -z "$output" ]
	assert_nothing_left
}

@test "exec into a paused container: refused unless --ignore-paused" {
	skip_without_user_cgroup
	start_ctr
	berth pause "$ID"
	PAUSED=$ID
	[ "$(status_of "$ID")" = paused ]
	exec_fg "$ID" sh -c 'touch /host/ran'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *paused* ]]
	[ "$(status_of "$ID")" = paused ]
	sleep 0.2
	[ ! -e "$HOSTDIR/ran" ]
	[ "$(berth ps --format json "$ID")" = "[$INIT]" ]

	# --ignore-paused: accepted; the process is in the container's (frozen) cgroup, so it
	# runs once the container is resumed
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec --ignore-paused "$ID" \
		sh -c 'echo ran > /host/ran; echo out-after-resume' \
		</dev/null >"$(cout e)" 2>"$(cerr e)" 3>&- &
	local epid=$! rc=0
	sleep 0.5
	cat "$(cerr e)"
	[[ "$(cat "$(cerr e)")" != *paused* ]]
	[ ! -e "$HOSTDIR/ran" ]
	berth resume "$ID"
	PAUSED=
	wait "$epid" || rc=$?
	cat "$(cerr e)"
	[ "$rc" -eq 0 ]
	[ "$(cat "$(cout e)")" = out-after-resume ]
	[ "$(cat "$HOSTDIR/ran")" = ran ]
	[ "$(status_of "$ID")" = running ]
	only_init_left
}

@test "exec: a command not found is 'executable file not found in \$PATH', nothing left" {
	start_ctr
	local before
	before=$(fd_list "$INIT")
	exec_fg "$ID" no-such-command arg
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'executable file not found in $PATH'* ]]
	[[ "$stderr" == *no-such-command* ]]
	[ -z "$output" ]
	# at once: the runtime has reaped whatever it started
	only_init_left
	# the same with --detach
	exec_fg -d "$ID" no-such-command
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'executable file not found in $PATH'* ]]
	only_init_left
	[ "$(fd_list "$INIT")" = "$before" ]
	[ "$(status_of "$ID")" = running ]
}

@test "exec: no command given is an error, nothing runs" {
	start_ctr
	exec_fg "$ID"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[ -z "$output" ]
	only_init_left
	[ "$(status_of "$ID")" = running ]
}

# --- many at once, and fds -----------------------------------------------------------

@test "exec: 50 concurrent execs all succeed and leave no process or fd behind" {
	start_ctr
	local fds_before i rc pids=() bad=0
	fds_before=$(fd_list "$INIT")
	mkdir "$BATS_TEST_TMPDIR/par"
	for i in $(seq 50); do
		timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec "$ID" sh -c "echo out-$i" \
			</dev/null >"$BATS_TEST_TMPDIR/par/$i.out" 2>"$BATS_TEST_TMPDIR/par/$i.err" 3>&- &
		pids[i]=$!
	done
	for i in $(seq 50); do
		rc=0
		wait "${pids[i]}" || rc=$?
		if [ "$rc" -ne 0 ] || [ "$(cat "$BATS_TEST_TMPDIR/par/$i.out")" != "out-$i" ]; then
			echo "exec $i: rc=$rc out=$(cat "$BATS_TEST_TMPDIR/par/$i.out") err=$(cat "$BATS_TEST_TMPDIR/par/$i.err")"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" -eq 0 ]
	# nothing on stderr either
	[ -z "$(cat "$BATS_TEST_TMPDIR"/par/*.err)" ]
	# no process left in the container (zombies included), none of the runtime's on the host
	only_init_left
	for i in $(seq 50); do
		if kill -0 "${pids[i]}" 2>/dev/null; then
			echo "exec $i (pid ${pids[i]}) still running"
			false
		fi
	done
	# the container's init holds the same fds as before
	[ "$(fd_list "$INIT")" = "$fds_before" ]
	[ "$(status_of "$ID")" = running ]
}

@test "exec: the process inherits no fd of the runtime's (only 0 1 2)" {
	start_ctr
	# the runtime is handed extra fds (5, 7): they must not reach the container either
	run --separate-stderr timeout --foreground -k 5 "$BERTH_TIMEOUT" \
		"$BERTH" --root "$ROOT" exec "$ID" ls -l /proc/self/fd \
		</dev/null 3>&- 5<"$BATS_TEST_TMPDIR/../" 7>"$BATS_TEST_TMPDIR/fd7"
	echo "status=$status"
	echo "$output"
	[ "$status" -eq 0 ]
	# ls's fds: 0 1 2, and the directory it reads (the lowest free fd, 3: were another
	# one open, it would be 4 or more)
	[ "$(awk 'NR > 1 { printf "%s ", $9 }' <<<"$output")" = "0 1 2 3 " ]
	# host side: the live process holds exactly 0 1 2, the runtime's stdio
	timeout -k 5 "$BERTH_TIMEOUT" "$BERTH" --root "$ROOT" exec --pid-file "$(pidfile e)" "$ID" sleep 100 \
		</dev/null >"$(cout e)" 2>"$(cerr e)" 3>&- 5<"$BATS_TEST_TMPDIR/../" 7>"$BATS_TEST_TMPDIR/fd7" &
	EXEC_JOB=$!
	wait_for_file "$(pidfile e)"
	EPID=$(cat "$(pidfile e)")
	track_pid "$EPID"
	[ "$(fd_list "$EPID")" = "0 1 2 " ]
	end_bg
	only_init_left
}
