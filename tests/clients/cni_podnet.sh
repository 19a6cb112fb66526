#!/bin/sh
# A CNI plugin (the CNI spec's ADD/DEL/CHECK/VERSION over environment
# variables and stdin) for the CRI tests that need a pod network without
# touching the host's: it works only inside the pod's network namespace
# (CNI_NETNS). Installed as "loopback" it brings lo up; under any other
# name it adds CNI_IFNAME there with the config's "address" and reports it,
# as a real plugin would: one end of a veth pair whose other end ("peer0")
# stays in the same namespace (this host's kernel has no dummy driver). DEL has nothing to undo
# outside the namespace, which containerd removes. Each call is logged to the
# config's "log" file, if any.
set -eu
conf=$(cat)
field() { printf '%s' "$conf" | jq -r --arg k "$1" '.[$k] // empty'; }
version=$(field cniVersion)
log=$(field log)
[ -z "$log" ] || echo "$CNI_COMMAND ${CNI_IFNAME:-} ${CNI_NETNS:-}" >>"$log"
in_ns() { nsenter --net="$CNI_NETNS" "$@"; }
case $CNI_COMMAND in
VERSION)
	echo '{"cniVersion": "1.0.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]}'
	;;
ADD)
	if [ "$CNI_IFNAME" = lo ]; then
		in_ns ip link set lo up
		printf '{"cniVersion": "%s", "interfaces": [{"name": "lo", "sandbox": "%s"}], "ips": [], "dns": {}}\n' \
			"$version" "$CNI_NETNS"
		exit 0
	fi
	addr=$(field address)
	in_ns ip link add "$CNI_IFNAME" type veth peer name peer0
	in_ns ip addr add "$addr" dev "$CNI_IFNAME"
	in_ns ip link set "$CNI_IFNAME" up
	mac=$(in_ns cat "/sys/class/net/$CNI_IFNAME/address" 2>/dev/null || true)
	printf '{"cniVersion": "%s", "interfaces": [{"name": "%s", "mac": "%s", "sandbox": "%s"}], "ips": [{"address": "%s", "interface": 0}], "dns": {}}\n' \
		"$version" "$CNI_IFNAME" "$mac" "$CNI_NETNS" "$addr"
	;;
DEL | CHECK | GC | STATUS)
	;;
*)
	printf '{"cniVersion": "%s", "code": 4, "msg": "unknown CNI_COMMAND %s"}\n' "$version" "$CNI_COMMAND"
	exit 1
	;;
esac
