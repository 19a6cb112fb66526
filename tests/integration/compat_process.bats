#!/usr/bin/env bats
# compat_process: where the process, its hooks and its terminal behave as runc 1.5's do
# (issue 14): HOME always set and duplicate env keys dropped, the runtime's environment
# for hooks without env, createContainer hooks in the rootfs, startContainer hooks under
# the seccomp filter, ONLCR cleared on a proxied pty, the CPU affinity of the cpuset not
# the caller's, process.cwd entered before the user switch.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
	update_config '.root.readonly = false'
}
teardown() { teardown_berth; }

# ENV_ARGS: a process that copies the environment execve gave it to the host
ENV_ARGS='["/bin/cp", "/proc/self/environ", "/host/environ"]'

# got_env: that environment, one entry a line, in order (the copy is removed)
got_env() {
	tr '\0' '\n' <"$HOSTDIR/environ"
	rm -f "$HOSTDIR/environ"
}

# environ_of JQ-ENV UID: run the container as UID with process.env = JQ-ENV; $output is
# the environment its process got.
environ_of() {
	update_config --argjson e "$1" --argjson u "$2" --argjson a "$ENV_ARGS" \
		'.process.env = $e | .process.user.uid = $u | .process.args = $a'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	output=$(got_env)
}

@test "compat: process.env keeps the last of duplicate keys, where it was last given" {
	environ_of '["PATH=/bin", "A=1", "B=2", "A=3", "HOME=/h"]' 0
	[ "$output" = "PATH=/bin
B=2
A=3
HOME=/h" ]
}

@test "compat: HOME, missing or empty, comes from the container's /etc/passwd, else /" {
	# missing: root's home
	environ_of '["PATH=/bin"]' 0
	[ "$output" = "PATH=/bin
HOME=/root" ]
	# empty (also as the last of two): dropped, and set at the end
	environ_of '["PATH=/bin", "HOME=/x", "HOME=", "Z=1"]' 0
	[ "$output" = "PATH=/bin
Z=1
HOME=/root" ]
	# the home of process.user.uid in the container's passwd (daemon, uid 1)...
	echo 'app:x:4242:4242::/home/app:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
	environ_of '["PATH=/bin"]' 4242
	[ "$output" = "PATH=/bin
HOME=/home/app" ]
	# ...and / for a uid it does not list
	environ_of '["PATH=/bin"]' 1234
	[ "$output" = "PATH=/bin
HOME=/" ]
}

@test "compat: exec always sets HOME too: flags, -e, --process with and without env" {
	update_config '.process.env = ["PATH=/bin", "X=1", "X=2"] | .process.args = ["sleep", "1000"]'
	echo 'app:x:4242:4242::/home/app:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
	run_detached "$ID"
	# the container's env, deduplicated, HOME added
	berth exec "$ID" cp /proc/self/environ /host/environ
	[ "$(got_env | xargs)" = "PATH=/bin X=2 HOME=/root" ]
	# -e: last wins, and an override stands where it was given (after the config's)
	berth exec -e A=9 -e X=0 -e HOME= "$ID" cp /proc/self/environ /host/environ
	[ "$(got_env | xargs)" = "PATH=/bin A=9 X=0 HOME=/root" ]
	# -u: that user's home
	berth exec -u 4242 "$ID" cp /proc/self/environ /host/environ
	[ "$(got_env | xargs)" = "PATH=/bin X=2 HOME=/home/app" ]
	# --process without env: HOME alone
	jq -n --argjson a "$ENV_ARGS" '{"args": $a, "cwd": "/", "user": {"uid": 4242, "gid": 4242}}' >"$BATS_TEST_TMPDIR/p1.json"
	berth exec --process "$BATS_TEST_TMPDIR/p1.json" "$ID"
	[ "$(got_env | xargs)" = "HOME=/home/app" ]
	# --process with env: deduplicated, an empty HOME replaced
	jq -n --argjson a "$ENV_ARGS" '{"args": $a, "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["HOME=", "Z=1", "Z=2"]}' >"$BATS_TEST_TMPDIR/p2.json"
	berth exec --process "$BATS_TEST_TMPDIR/p2.json" "$ID"
	[ "$(got_env | xargs)" = "Z=2 HOME=/root" ]
}

@test "compat: hooks without env get the runtime's environment; createContainer hooks run in the rootfs" {
	local h=$BATS_TEST_TMPDIR/hook.sh
	# hook.sh NAME: its cwd and environment, to $HOSTDIR/NAME.{cwd,env}
	cat >"$h" <<SH
#!/bin/sh
pwd -P > $HOSTDIR/\$1.cwd
env > $HOSTDIR/\$1.env
SH
	chmod 755 "$h"
	update_config --arg h "$h" '.process.args = ["true"] | .hooks = {
		"prestart": [{"path": $h, "args": ["hook.sh", "prestart"]}],
		"createRuntime": [{"path": $h, "args": ["hook.sh", "createRuntime"]}],
		"createContainer": [{"path": $h, "args": ["hook.sh", "createContainer"]}],
		"poststop": [{"path": $h, "args": ["hook.sh", "poststop"]}],
		"poststart": [{"path": $h, "args": ["hook.sh", "poststart"], "env": ["ONLY=this"]}]}'
	CALLER_VAR=from-caller run_fg "$ID"
	[ "$status" -eq 0 ]
	# the hooks the runtime runs inherit its environment...
	for k in prestart createRuntime poststop; do
		grep -qx CALLER_VAR=from-caller "$HOSTDIR/$k.env"
	done
	# ...unless they have an env of their own
	grep -qx ONLY=this "$HOSTDIR/poststart.env"
	! grep -q CALLER_VAR "$HOSTDIR/poststart.env" || false
	# createContainer: init's (empty) environment, nothing of the caller's or the
	# runtime's own; its cwd is the container's rootfs
	[ -z "$(grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' "$HOSTDIR/createContainer.env")" ]
	[ "$(cat "$HOSTDIR/createContainer.cwd")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ]
}

@test "compat: startContainer hooks run after the seccomp filter is loaded" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
		| .hooks.startContainer = [{"path": "/bin/sh",
			"args": ["sh", "-c", "mkdir /tmp/by-hook 2>/dev/null; echo $? > /tmp/hook-rc"]}]'
	set_cmd 'echo "hook mkdir exit $(cat /tmp/hook-rc)"; [ -d /tmp/by-hook ] && echo made || echo refused'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hook mkdir exit 1" ]
	[ "${lines[1]}" = refused ]
	[ ! -e "$BUNDLE/rootfs/tmp/by-hook" ]
}

@test "compat: a foreground run or exec -t proxying the pty clears ONLCR" {
	update_config '.process.terminal = true'
	set_cmd 'stty -a 2>/dev/null | grep -o -e "-onlcr" -e " onlcr"; printf "a\nb\n" | od -An -c | tr -s " "'
	# the runtime needs a terminal of its own to proxy: script(1) provides one
	run script -qec "$BERTH --root $ROOT run --bundle $BUNDLE $ID" /dev/null < <(sleep 1) 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
	out=$(tr -d '\r\0' <<<"$output")
	grep -qx -- -onlcr <<<"$out"
	# what the process writes comes out unchanged
	grep -qx ' a \\n b \\n' <<<"$out"

	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
	run_detached "$ID-x"
	run script -qec "$BERTH --root $ROOT exec -t $ID-x sh -c 'stty -a 2>/dev/null | grep -o -e -onlcr -e \" onlcr\"'" /dev/null < <(sleep 1) 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx -- -onlcr <<<"$(tr -d '\r\0' <<<"$output")"
}

# cpus_allowed PID: Cpus_allowed_list of /proc/PID/status
cpus_allowed() {
	awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$1/status"
}

@test "compat: the process gets every CPU of its cpuset, not the caller's affinity" {
	local all
	all=$(cpus_allowed $$)
	[ "$all" != 0 ] || skip "needs two CPUs (this shell may use only CPU 0)"
	update_config '.process.args = ["sleep", "1000"]'
	# the caller (kubelet, containerd) pinned to CPU 0
	taskset -c 0 "$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID")" "$ID" \
		</dev/null >/dev/null 2>&1 3>&-
	track_pid "$(cat "$(pidfile "$ID")")"
	[ "$(cpus_allowed "$(pid_of "$ID")")" = "$all" ]
	run berth exec "$ID" grep Cpus_allowed_list /proc/1/status
	[ "$(awk '{ print $2 }' <<<"$output")" = "$all" ]
	# an exec from a pinned caller too
	run taskset -c 0 "$BERTH" --root "$ROOT" exec "$ID" sh -c 'grep Cpus_allowed_list /proc/self/status' 3>&-
	[ "$status" -eq 0 ]
	[ "$(awk '{ print $2 }' <<<"$output")" = "$all" ]
	# linux.resources.cpu.cpus still narrows it
	update_config '.linux.resources.cpu.cpus = "1"'
	taskset -c 0 "$BERTH" --root "$ROOT" run -d --bundle "$BUNDLE" --pid-file "$(pidfile "$ID-c")" "$ID-c" \
		</dev/null >/dev/null 2>&1 3>&-
	track_pid "$(cat "$(pidfile "$ID-c")")"
	[ "$(cpus_allowed "$(pid_of "$ID-c")")" = 1 ]
}

@test "compat: process.cwd is entered before the user switch (a 0700 /root as uid 42)" {
	chmod 0700 "$BUNDLE/rootfs/root"
	update_config '.process.cwd = "/root" | .process.user = {"uid": 42, "gid": 42}'
	set_cmd 'id -u; pwd; ls . >/dev/null 2>&1 && echo readable || echo unreadable'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "42
/root
unreadable" ]
}

@test "compat: a cwd only process.user may enter is retried after the switch" {
	# In a user namespace, container root may not override the permissions of a file
	# whose group is not mapped (a root-squashing NFS share, say): /mine is 0700, owned
	# by the container's uid 42 and an unmapped group, so only uid 42 may enter it.
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.cwd = "/mine" | .process.user = {"uid": 42, "gid": 42}'
	mkdir "$BUNDLE/rootfs/mine"
	chown 100042:300000 "$BUNDLE/rootfs/mine"
	chmod 0700 "$BUNDLE/rootfs/mine"
	set_cmd 'id -u; pwd'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "42
/mine" ]
}

@test "compat: exec --env without = is an error naming the flag" {
	update_config '.process.args = ["sleep", "1000"]'
	run_detached "$ID"
	run berth exec -e NOEQUALS "$ID" sh -c 'echo ran'
	[ "$status" -ne 0 ]
	[[ "$output" != *ran* ]]
	skip_if_runc "its error does not name the flag nor the entry (\"invalid environment variable: missing '='\")"
	[[ "$output" == *--env* ]]
	[[ "$output" == *NOEQUALS* ]]
}
