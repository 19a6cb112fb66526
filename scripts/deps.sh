#!/bin/sh
# Install the Debian packages berth's build, demo and tests need, if any is
# missing. Needs root (apt-get). Go itself is expected on PATH or in
# /usr/local/go (the Go module proxy supplies the Go dependencies).
set -eu
need=""
# uidmap: newuidmap/newgidmap, for rootless containers that map several ids
# (the rootless lane of the tests); passwd: useradd/usermod, which make its user.
for p in gcc libseccomp-dev pkg-config busybox-static bats jq strace iproute2 util-linux procps uidmap passwd; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "deps: installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
# What only the tests need (VM guests, the clients) is installed by
# scripts/deps-test.sh, for `make test` and the lanes that need it: the demo
# needs none of it.
