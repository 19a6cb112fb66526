#!/usr/bin/env bats
# Id-mapped mounts (runtime-spec 1.3, issue 16): mounts[].uidMappings / gidMappings and
# the idmap / ridmap options on bind mounts, with and without a user namespace of the
# container, on a tmpfs and on an ext4 image (overlayfs and proc cannot be id-mapped).
# An id-mapped bind shows a file whose on-disk owner is K as the owner the mount's
# mapping gives K (containerID K -> hostID), and writes through it land on disk with the
# ids mapped back. The rootless cases are in rootless.bats (the rootless lane).

load helpers

setup() {
	setup_berth
	make_bundle
	# outside the test's directory, whose mounts the leftover checks look for
	SRC=$BATS_RUN_TMPDIR/idmap-src-$BATS_TEST_NUMBER
	mkdir -p "$SRC" "$BUNDLE/rootfs/mnt/a" "$BUNDLE/rootfs/mnt/b"
	defer rm -rf "$SRC"
}
teardown() { teardown_berth; }

# idmap_supported DIR: skip unless the kernel can id-map the filesystem of DIR: ext4 since
# 5.12 (mount_setattr), tmpfs since 6.3.
idmap_supported() {
	local fs need=5.12
	fs=$(stat -f -c %T "$1")
	[ "$fs" = tmpfs ] && need=6.3
	local have
	have=$(uname -r | grep -oE '^[0-9]+\.[0-9]+')
	if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
		skip "kernel $have cannot id-map $fs (needs $need)"
	fi
}

# tmpfs_source: a tmpfs at $SRC holding f1 (owned by 1:1) and f2 (owned by 2:3).
tmpfs_source() {
	host_mount -t tmpfs -o mode=0755 tmpfs "$SRC"
	idmap_supported "$SRC"
	touch "$SRC/f1" "$SRC/f2"
	chown 1:1 "$SRC/f1"
	chown 2:3 "$SRC/f2"
	chmod 0777 "$SRC"
}

# ext4_source: a 16 MiB ext4 image made here, loop-mounted at $SRC (unmounted, and the
# loop device freed, in teardown), holding f1 (owned by 0:0) and f2 (owned by 1000:1000).
ext4_source() {
	command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 not installed (Debian package e2fsprogs)"
	local img=$BATS_TEST_TMPDIR/ext4.img
	truncate -s 16M "$img"
	mkfs.ext4 -q -F "$img"
	host_mount -o loop "$img" "$SRC"
	idmap_supported "$SRC"
	touch "$SRC/f1" "$SRC/f2"
	chown 1000:1000 "$SRC/f2"
	chmod 0777 "$SRC"
}

# userns: the container gets a user namespace, container ids 0..65535 = host 100000..
userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	# the mapped root must reach the bundle (bats' directories are 0700 to others)
	chmod a+x "$BUNDLE"
}

# idmap_mount DEST SRC OPTIONS_JSON [UIDMAPS_JSON GIDMAPS_JSON]: add a bind mount.
idmap_mount() {
	update_config --arg d "$1" --arg s "$2" --argjson o "$3" --argjson u "${4:-null}" --argjson g "${5:-null}" \
		'.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}
			+ (if $u == null then {} else {"uidMappings": $u, "gidMappings": $g} end)]'
}

# ids: uid and gid mappings, container 0.. = host 100000.. (uid) and 200000.. (gid)
UMAP='[{"containerID": 0, "hostID": 100000, "size": 65536}]'
GMAP='[{"containerID": 0, "hostID": 200000, "size": 65536}]'

# mount_opts PID DEST: the per-mount options of DEST in the container's mountinfo
mount_opts() {
	mountinfo_line "$1" "$2" | awk '{ print $6 }'
}

@test "idmap: a tmpfs bind with mappings, no user namespace: owners show mapped, writes land unmapped on the host" {
	tmpfs_source
	idmap_mount /mnt/a "$SRC" '["bind"]' "$UMAP" "$GMAP"
	# a process whose ids the mount maps (host 100005:200007 = on-disk 5:7) writes
	update_config '.process.user = {"uid": 100005, "gid": 200007}'
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f1 /mnt/a/f2; touch /mnt/a/new && stat -c "%n %u:%g" /mnt/a/new; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	grep -qx '/mnt/a/f1 100001:200001' "$(cout "$ID")"
	grep -qx '/mnt/a/f2 100002:200003' "$(cout "$ID")"
	grep -qx '/mnt/a/new 100005:200007' "$(cout "$ID")"
	# outside: the source is untouched, the new file is 5:7 on disk
	[ "$(stat -c %u:%g "$SRC/f1")" = 1:1 ]
	[ "$(stat -c %u:%g "$SRC/new")" = 5:7 ]
	# the container's mount of it is id-mapped, the host's is not
	[[ ",$(mount_opts "$(pid_of "$ID")" /mnt/a)," == *,idmapped,* ]]
	! grep -F " $SRC " /proc/self/mountinfo | grep -q idmapped
}

@test "idmap: an ext4 image, container with a user namespace, idmap alone takes the container's mappings" {
	ext4_source
	userns
	idmap_mount /mnt/a "$SRC" '["bind", "idmap"]'
	# the same source bound without idmap: its owners are unmapped in the user namespace
	idmap_mount /mnt/b "$SRC" '["bind"]'
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f1 /mnt/a/f2 /mnt/b/f1; touch /mnt/a/byroot; stat -c "%n %u:%g" /mnt/a/byroot; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	grep -qx '/mnt/a/f1 0:0' "$(cout "$ID")"
	grep -qx '/mnt/a/f2 1000:1000' "$(cout "$ID")"
	grep -qx "/mnt/b/f1 $(cat /proc/sys/kernel/overflowuid):$(cat /proc/sys/kernel/overflowgid)" "$(cout "$ID")"
	grep -qx '/mnt/a/byroot 0:0' "$(cout "$ID")"
	# the container's root (host 100000) wrote a file owned by 0:0 on the image
	[ "$(stat -c %u:%g "$SRC/byroot")" = 0:0 ]
	[[ ",$(mount_opts "$(pid_of "$ID")" /mnt/a)," == *,idmapped,* ]]
	[[ ",$(mount_opts "$(pid_of "$ID")" /mnt/b)," != *,idmapped,* ]]
}

@test "idmap: a mount's own mappings need not match the container's user namespace" {
	tmpfs_source
	userns
	# on-disk 0.. = host 101000.. = container 1000..
	idmap_mount /mnt/a "$SRC" '["rbind"]' \
		'[{"containerID": 0, "hostID": 101000, "size": 100}]' '[{"containerID": 0, "hostID": 102000, "size": 100}]'
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f1 /mnt/a/f2; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	grep -qx '/mnt/a/f1 1001:2001' "$(cout "$ID")"
	grep -qx '/mnt/a/f2 1002:2003' "$(cout "$ID")"
}

@test "idmap: an overlay source cannot be id-mapped: the error names the mount and overlay" {
	local o=$BATS_RUN_TMPDIR/idmap-ovl-$BATS_TEST_NUMBER
	mkdir -p "$o/lower" "$o/upper" "$o/work"
	defer rm -rf "$o"
	host_mount -t overlay overlay -o "lowerdir=$o/lower,upperdir=$o/upper,workdir=$o/work" "$SRC"
	idmap_mount /mnt/a "$SRC" '["bind"]' "$UMAP" "$GMAP"
	# overlayfs takes id-mapped layers, but is not itself a filesystem the kernel
	# id-maps (no FS_ALLOW_IDMAP, 6.18)
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$SRC"* ]]
	if ! is_runc; then
		[[ "$stderr" == *"mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")]"*"cannot id-map filesystem overlay"* ]]
	fi
	assert_nothing_left
}

@test "idmap: idmap alone in a container that joins a user namespace takes that namespace's mappings" {
	tmpfs_source
	# a user namespace held by a process of ours: 0.. = host 100000..
	unshare --user sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local holder=$!
	defer kill -9 "$holder"
	local i
	for i in $(seq 100); do
		[ "$(ns_inode "$holder" user)" != "$(ns_inode $$ user)" ] && break
		sleep 0.02
	done
	echo "0 100000 65536" >"/proc/$holder/uid_map"
	echo "0 100000 65536" >"/proc/$holder/gid_map"
	update_config --arg p "/proc/$holder/ns/user" '.linux.namespaces += [{"type": "user", "path": $p}]'
	chmod a+x "$BUNDLE"
	# on-disk 1:1 and 2:3 through a mapping 0.. -> host 100000.. = the namespace's 1:1, 2:3
	idmap_mount /mnt/a "$SRC" '["bind", "idmap"]'
	idmap_mount /mnt/b "$SRC" '["bind"]'
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f1 /mnt/a/f2 /mnt/b/f1; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	[ "$(ns_inode "$(pid_of "$ID")" user)" = "$(ns_inode "$holder" user)" ]
	grep -qx '/mnt/a/f1 1:1' "$(cout "$ID")"
	grep -qx '/mnt/a/f2 2:3' "$(cout "$ID")"
	grep -qx "/mnt/b/f1 $(cat /proc/sys/kernel/overflowuid):$(cat /proc/sys/kernel/overflowgid)" "$(cout "$ID")"
}

@test "idmap: ridmap id-maps the submounts of an rbind, idmap only its top" {
	tmpfs_source
	mkdir "$SRC/sub"
	host_mount -t tmpfs -o mode=0755 tmpfs "$SRC/sub"
	touch "$SRC/sub/g"
	chown 1:1 "$SRC/sub/g"
	idmap_mount /mnt/a "$SRC" '["rbind", "ridmap"]' "$UMAP" "$GMAP"
	idmap_mount /mnt/b "$SRC" '["rbind", "idmap"]' "$UMAP" "$GMAP"
	set_cmd 'stat -c "%n %u:%g" /mnt/a/f1 /mnt/a/sub/g /mnt/b/f1 /mnt/b/sub/g; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	grep -qx '/mnt/a/f1 100001:200001' "$(cout "$ID")"
	grep -qx '/mnt/a/sub/g 100001:200001' "$(cout "$ID")"
	grep -qx '/mnt/b/f1 100001:200001' "$(cout "$ID")"
	grep -qx '/mnt/b/sub/g 1:1' "$(cout "$ID")"
	local pid
	pid=$(pid_of "$ID")
	[[ ",$(mount_opts "$pid" /mnt/a/sub)," == *,idmapped,* ]]
	[[ ",$(mount_opts "$pid" /mnt/b/sub)," != *,idmapped,* ]]
}

@test "idmap: the bind's own options still apply (ro) on top of the mapping" {
	tmpfs_source
	idmap_mount /mnt/a "$SRC" '["bind", "ro"]' "$UMAP" "$GMAP"
	set_cmd 'stat -c "%u:%g" /mnt/a/f1; touch /mnt/a/x 2>&1 || echo refused'
	run_fg "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100001:200001 ]
	[[ "$output" == *"Read-only file system"*refused* ]]
	[ ! -e "$SRC/x" ]
}

@test "idmap: a filesystem that cannot be id-mapped (proc) is an error naming the mount and the type; nothing is left" {
	mkdir -p "$SRC/p"
	host_mount -t proc proc "$SRC/p"
	idmap_mount /mnt/a "$SRC/p" '["bind"]' "$UMAP" "$GMAP"
	run_fg "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$SRC/p"* ]]
	if ! is_runc; then
		[[ "$stderr" == *"mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")]"*"filesystem proc"* ]]
	fi
	assert_nothing_left
}

@test "idmap: ridmap of a tree with a submount that cannot be id-mapped names that submount" {
	tmpfs_source
	mkdir "$SRC/p"
	host_mount -t proc proc "$SRC/p"
	idmap_mount /mnt/a "$SRC" '["rbind", "ridmap"]' "$UMAP" "$GMAP"
	run_fg "$ID"
	[ "$status" -ne 0 ]
	if ! is_runc; then
		[[ "$stderr" == *"mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")]"*"filesystem tmpfs"*"$SRC/p (filesystem proc)"* ]]
	fi
	assert_nothing_left
}

@test "idmap: bad mappings and options are errors naming the field, before anything is made" {
	tmpfs_source
	local n
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	local cfg=$BUNDLE/config.json.orig
	cp "$BUNDLE/config.json" "$cfg"
	# expect FIELD-FOR-BERTH JQ: the edit makes create fail; berth names the field
	expect() {
		cp "$cfg" "$BUNDLE/config.json"
		update_config "$2"
		run_fg "$ID"
		[ "$status" -ne 0 ]
		if ! is_runc; then
			[[ "$stderr" == *"$1"* ]]
		fi
		assert_nothing_left
	}
	local m='{"destination": "/mnt/a", "type": "bind", "source": "'"$SRC"'", "options": ["bind"]}'
	expect "mounts[$n].uidMappings[0].size: must be greater than zero" \
		".mounts += [$m + {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}], \"gidMappings\": $GMAP}]"
	expect "mounts[$n].gidMappings[1]: host range overlaps mounts[$n].gidMappings[0]" \
		".mounts += [$m + {\"uidMappings\": $UMAP, \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}, {\"containerID\": 100, \"hostID\": 1005, \"size\": 10}]}]"
	expect "mounts[$n].uidMappings[0]: host range 4294967295+2 exceeds the 32-bit id space" \
		".mounts += [$m + {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}], \"gidMappings\": $GMAP}]"
	expect "mounts[$n].gidMappings: missing" \
		".mounts += [$m + {\"uidMappings\": $UMAP}]"
	expect "mounts[$n].uidMappings: id-mapped mounts are only supported for bind mounts" \
		".mounts += [{\"destination\": \"/mnt/a\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"uidMappings\": $UMAP, \"gidMappings\": $GMAP}]"
	expect "mounts[$n].options: idmap / ridmap without" \
		".mounts += [$m + {\"options\": [\"rbind\", \"idmap\"]}]"
}

@test "idmap: features reports id-mapped mounts and the user namespace (what containerd's CRI checks)" {
	run --separate-stderr "$BERTH" features 3>&-
	[ "$status" -eq 0 ]
	jq -e '.linux.mountExtensions.idmap.enabled == true and (.linux.namespaces | index("user") != null)' <<<"$output"
}

@test "idmap: in a user namespace an id-mapped rbind keeps the kernel's locks: submounts stay, nosuid stays" {
	# The copy is cloned in the container's mount namespace, whose mounts the kernel
	# locked when it copied them for the user namespace: a root with CAP_SYS_ADMIN in
	# it can neither unmount a submount (to see what it covers) nor clear a flag.
	host_mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$SRC"
	idmap_supported "$SRC"
	mkdir "$SRC/sub"
	touch "$SRC/sub/covered"
	host_mount -t tmpfs tmpfs "$SRC/sub"
	userns
	add_caps CAP_SYS_ADMIN
	idmap_mount /mnt/a "$SRC" '["rbind", "idmap"]'
	set_cmd 'umount /mnt/a/sub || echo umount refused; ls /mnt/a/sub; mount -o remount,bind,suid /mnt/a || echo remount refused; echo done; exec sleep 100'
	run_detached "$ID"
	wait_for_line "$(cout "$ID")" done
	cat "$(cout "$ID")" "$(cerr "$ID")"
	grep -qx 'umount refused' "$(cout "$ID")"
	! grep -q covered "$(cout "$ID")" || false
	grep -qx 'remount refused' "$(cout "$ID")"
	local opts
	opts=$(mount_opts "$(pid_of "$ID")" /mnt/a)
	[[ ",$opts," == *,nosuid,* && ",$opts," == *,idmapped,* ]]
}
