#!/bin/sh
# The clients the tests in tests/clients drive, from Debian's packages, if any
# is missing: containerd (ctr and the runc v2 shim), docker.io (dockerd and
# its client), podman (with conmon), and what the tests build with (gcc and
# libc6-dev for the static pause binary; script(1) from util-linux for ttys;
# uidmap's newuidmap/newgidmap and setpriv for rootless Podman).
# runc comes with docker.io: `RUNTIME=/usr/sbin/runc make test-clients`
# runs the same scenarios against it. Called by scripts/deps.sh; needs root.
#
# Installing docker.io or containerd may start their system services; the
# tests never use those (each starts its own daemons in private directories).
set -eu
need=""
for p in containerd docker.io podman conmon runc uidmap gcc libc6-dev util-linux iproute2 jq; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "deps (clients): installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
