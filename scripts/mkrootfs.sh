#!/bin/sh
# Build a minimal busybox rootfs from Debian's busybox-static: there is no image
# registry here, so every test bundle and the demo start from this.
# usage: mkrootfs.sh DIR
set -eu
dir=${1:?usage: mkrootfs.sh DIR}
bb=/bin/busybox
if [ ! -x "$bb" ]; then
	echo "mkrootfs: $bb not found: apt-get install busybox-static" >&2
	exit 1
fi
mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" \
	"$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/root" "$dir/home" "$dir/var" "$dir/run"
chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
# One link per applet, as busybox --install would make, so $PATH lookups work.
for applet in $("$bb" --list); do
	[ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
audio:x:29:
nogroup:x:65534:
G
echo "127.0.0.1 localhost" >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"
