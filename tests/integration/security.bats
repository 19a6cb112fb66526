#!/usr/bin/env bats
# Escapes that hit runc, attempted for real from inside a container.

load helpers

setup() {
	setup_berth
	make_bundle
	hostdir_mount
}
teardown() { teardown_berth; }

# CVE-2019-5736: a process in a container gets hold of the runtime's own binary through
# /proc/<pid>/exe of a runtime process that is in its pid namespace, keeps the fd, and
# writes through it once the runtime is gone, replacing the host's binary. Here the
# attacker is container A (with CAP_SYS_PTRACE, the worst case); the runtime process is
# the init of container B, created in A's pid namespace (as in a Kubernetes pod) and
# waiting for start. The binary under test is a copy, so that a runtime without the
# protection corrupts only the copy.
@test "CVE-2019-5736: the runtime binary cannot be overwritten from a container through /proc/<pid>/exe" {
	local victim=$BATS_TEST_TMPDIR/berth-victim orig=$BATS_TEST_TMPDIR/berth-orig a_pid
	cp "$BERTH" "$victim"
	cp "$BERTH" "$orig"
	cat >"$BUNDLE/rootfs/watch.sh" <<'SH'
#!/bin/sh
# find the other container's init: a process whose argv is "<exe> init"
while :; do
	for p in /proc/[0-9]*; do
		case "$(tr '\0' ' ' < $p/cmdline 2>/dev/null)" in
		*" init ") break 2 ;;
		esac
	done
	sleep 0.02
done
exec 3< $p/exe || { echo "open failed" > /host/held; exit 1; }
echo "$p" > /host/held
# the test starts the other container now: its init execs, the runtime is gone
while [ ! -e /host/go ]; do sleep 0.02; done
# the file stays busy while any process still runs it
i=0
while [ $i -lt 100 ]; do
	if { echo pwned >> /proc/self/fd/3; } 2> /host/err; then echo written > /host/result; exit 0; fi
	grep -q busy /host/err || break
	i=$((i + 1)); sleep 0.05
done
echo refused > /host/result
exec sleep 100
SH
	chmod 755 "$BUNDLE/rootfs/watch.sh"
	update_config '.process.args = ["/watch.sh"]'
	add_caps CAP_SYS_PTRACE
	BERTH=$victim run_detached "$ID"
	a_pid=$(cat "$(pidfile "$ID")")
	# container B: same bundle, A's pid namespace, waits in create
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/a.json"
	update_config --arg p "/proc/$a_pid/ns/pid" \
		'.process.args = ["sleep", "100"] | .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = $p else . end]'
	BERTH=$victim create_container "$ID-b"
	wait_for_file "$HOSTDIR/held"
	cat "$HOSTDIR/held"
	BERTH=$victim berth start "$ID-b"
	touch "$HOSTDIR/go"
	wait_for_file "$HOSTDIR/result" 10
	cat "$HOSTDIR/result" "$HOSTDIR/err"
	[ "$(cat "$HOSTDIR/result")" = refused ]
	# berth: EROFS (read-only mount seal); runc: EPERM (sealed memfd copy)
	grep -qE "Read-only file system|Operation not permitted" "$HOSTDIR/err"
	cmp "$victim" "$orig"
}
