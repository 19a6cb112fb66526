#!/bin/sh
# Install what only the tests need, if missing (root, apt-get): the VM guests
# of tests/vm (README.md there): qemu-system-x86 (TCG, or KVM), xz-utils for
# Debian's kernel, mmdebstrap and e2fsprogs for the systemd guest's image;
# dbus-daemon for the systemd driver's unit tests (a private bus with a fake
# systemd); criu for tests/integration/checkpoint.bats (its errors on this
# host; the real dumps run in the systemd guest); then the container
# clients of tests/clients (tests/clients/deps.sh).
# scripts/deps.sh, for the build and the demo, comes first.
set -eu
need=""
for p in qemu-system-x86 xz-utils mmdebstrap e2fsprogs dbus-daemon criu; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "deps-test: installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
"$(dirname "$0")/../tests/clients/deps.sh"
