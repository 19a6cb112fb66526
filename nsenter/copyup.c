/* tmpcopyup (a mount's tmpcopyup option): a tmpfs over the destination
 * holding a copy of what was there (copytree.c). The tmpfs is made
 * detached (fsopen, fsconfig, fsmount), filled through its fd and moved
 * onto the destination (move_mount): no path of the host is involved. The
 * old way, runc's too, mounts on a temporary directory of the host's /tmp
 * and moves it: a killed init leaves that directory behind, and with
 * rootfsPropagation shared the temporary mount sits on a shared mount,
 * from where MS_MOVE is refused (EINVAL). It remains only for a kernel, or
 * an outer seccomp filter, without the new mount API (ENOSYS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "berth.h"

/* The flags of config.json a new mount API call takes: for the superblock
 * as fsconfig flags, for the mount as fsmount's attributes. */
static const struct {
	unsigned long ms;
	const char *name;
} sb_flags[] = {
	{MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}, {MS_MANDLOCK, "mand"},
};
static const struct {
	unsigned long ms;
	uint64_t attr;
} mnt_flags[] = {
	{MS_NOSUID, MOUNT_ATTR_NOSUID},	      {MS_NODEV, MOUNT_ATTR_NODEV},
	{MS_NOEXEC, MOUNT_ATTR_NOEXEC},	      {MS_NOATIME, MOUNT_ATTR_NOATIME},
	{MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
	{MS_RELATIME, MOUNT_ATTR_RELATIME},     {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};
/* The flags the new mount API takes here: those above, a bind's, and those
 * with no effect on a new tmpfs (MS_RDONLY comes with the remount after
 * the copy). Any other (remount) is for the old way to refuse. */
#define NEW_API_FLAGS                                                                                          \
	(MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME | MS_MANDLOCK | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
	 MS_NODIRATIME | MS_STRICTATIME | MS_RELATIME | MS_NOSYMFOLLOW | MS_BIND | MS_REC | MS_RDONLY | MS_SILENT |  \
	 MS_I_VERSION)

/* fs_option gives the filesystem context one option, key or key=value. */
static int fs_option(int fs, char *opt, struct rerr *e)
{
	char *v = strchr(opt, '=');
	long r;

	if (v)
		*v++ = '\0';
	if (!*opt)
		return 0;
	if (v)
		r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, opt, v, 0);
	else
		r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
	if (r < 0) {
		rerr_set(e, errno, "option %s%s%s", opt, v ? "=" : "", v ? v : "");
		return -1;
	}
	return 0;
}

/* fs_options splits data as mount(2) does for a tmpfs: at commas, but not
 * inside double quotes (an SELinux context="a,b", whose quotes the kernel
 * drops) nor before a digit (mpol=bind:0,2's node list). */
static int fs_options(int fs, const char *data, struct rerr *e)
{
	char *buf = malloc(strlen(data) + 1), *opt, *out;
	const char *in;
	int quoted = 0;

	if (!buf) {
		rerr_set(e, errno, "mount data");
		return -1;
	}
	opt = out = buf;
	for (in = data;; in++) {
		if (*in == '"') {
			quoted = !quoted;
			continue;
		}
		if (*in && (*in != ',' || quoted || (in[1] >= '0' && in[1] <= '9'))) {
			*out++ = *in;
			continue;
		}
		*out++ = '\0';
		if (fs_option(fs, opt, e) < 0) {
			free(buf);
			return -1;
		}
		if (!*in)
			break;
		opt = out;
	}
	free(buf);
	return 0;
}

/* detached_tmpfs makes the tmpfs, unattached: its mount fd, or -1 (e). */
static int detached_tmpfs(const char *src, unsigned long flags, const char *data, struct rerr *e)
{
	uint64_t attr = 0;
	long fs, mnt;
	size_t i;

	fs = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0) {
		rerr_set(e, errno, "fsopen tmpfs");
		return -1;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", src, 0) < 0) {
		rerr_set(e, errno, "source %s", src);
		goto fail;
	}
	if (fs_options((int)fs, data, e) < 0)
		goto fail;
	for (i = 0; i < sizeof(sb_flags) / sizeof(sb_flags[0]); i++) {
		if ((flags & sb_flags[i].ms) && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0) {
			rerr_set(e, errno, "option %s", sb_flags[i].name);
			goto fail;
		}
	}
	for (i = 0; i < sizeof(mnt_flags) / sizeof(mnt_flags[0]); i++)
		if (flags & mnt_flags[i].ms)
			attr |= mnt_flags[i].attr;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		rerr_set(e, errno, "%s", "");
		goto fail;
	}
	mnt = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attr);
	if (mnt < 0) {
		rerr_set(e, errno, "%s", "");
		goto fail;
	}
	close((int)fs);
	return (int)mnt;
fail:
	close((int)fs);
	return -1;
}

/* detached_mount: the mount to fill, unattached. With bind among the
 * options the "tmpfs" is a bind of the source, as in runc (mount(2) with
 * MS_BIND ignores the type): a detached copy of the source's tree. */
static int detached_mount(const struct mount_source *src, unsigned long flags, const char *data, struct rerr *e)
{
	long fd;

	if (!(flags & MS_BIND))
		return detached_tmpfs(src->path, flags, data, e);
	fd = syscall(SYS_open_tree, AT_FDCWD, src->path,
		     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((flags & MS_REC) ? AT_RECURSIVE : 0));
	if (fd < 0)
		rerr_set(e, errno, "bind %s", src->name);
	return (int)fd;
}

/* copy_at copies what t covers into the mount at mnt. */
static int copy_at(struct target *t, int mnt, struct rerr *e)
{
	int from = openat(t->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (from < 0) {
		rerr_set(e, errno, "read .");
		return -1;
	}
	r = copy_tree(from, mnt, e);
	close(from);
	return r;
}

/* old_way mounts in a temporary directory of the host's /tmp, copies and
 * moves the mount onto t. */
static void old_way(struct step *s, struct target *t, const struct mount_source *src, unsigned long flags,
		    const char *data)
{
	char tmp[] = "/tmp/berth-tmpcopyupXXXXXX", p[64];
	struct rerr e;
	int mnt, err;

	if (!mkdtemp(tmp))
		step_fail(s, errno, "mkdirtemp /tmp/berth-tmpcopyup*");
	if (mount(src->path, tmp, "tmpfs", flags, data) < 0) {
		err = errno;
		rmdir(tmp);
		source_fail(s, src, err, "mount tmpfs for %s", t->path);
	}
	mnt = open(tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mnt < 0)
		rerr_set(&e, errno, "open %s", tmp);
	if (mnt < 0 || copy_at(t, mnt, &e) < 0) {
		if (mnt >= 0)
			close(mnt);
		umount2(tmp, MNT_DETACH);
		rmdir(tmp);
		step_fail(s, e.err, "copy up %s: %s", t->path, e.msg);
	}
	close(mnt);
	target_proc(t, p, sizeof(p));
	if (mount(tmp, p, NULL, MS_MOVE, NULL) < 0) {
		err = errno;
		umount2(tmp, MNT_DETACH);
		rmdir(tmp);
		step_fail(s, err, "move tmpfs onto %s", t->path);
	}
	rmdir(tmp);
}

void do_tmpcopyup(struct step *s, struct rstep *r, struct target *t, const struct mount_source *src, const char *data)
{
	unsigned long flags = (unsigned long)r->u[3], mflags = flags & ~(unsigned long)MS_RDONLY;
	char p[64];
	struct rerr e;
	int mnt = -1;

	if (!(flags & ~(unsigned long)NEW_API_FLAGS))
		mnt = detached_mount(src, mflags, data, &e);
	else
		e.err = ENOSYS;
	if (mnt < 0 && e.err == ENOSYS) {
		old_way(s, t, src, mflags, data);
	} else if (mnt < 0) {
		if (e.msg[0])
			source_fail(s, src, e.err, "mount tmpfs for %s: %s", t->path, e.msg);
		source_fail(s, src, e.err, "mount tmpfs for %s", t->path);
	} else {
		if (copy_at(t, mnt, &e) < 0)
			step_fail(s, e.err, "copy up %s: %s", t->path, e.msg);
		if (syscall(SYS_move_mount, mnt, "", t->fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			step_fail(s, errno, "move tmpfs onto %s", t->path);
		close(mnt);
	}
	if ((flags & MS_RDONLY) && !(r->u[2] & HOW_KEEP_RW)) {
		if (target_reopen(t, &e) < 0)
			rootfs_fail(s, &e, NULL);
		target_proc(t, p, sizeof(p));
		if (mount("", p, NULL, MS_REMOUNT | flags, data) < 0)
			step_fail(s, errno, "remount %s", t->path);
	}
	if (finish_mount(t, r, &e) < 0)
		rootfs_fail(s, &e, NULL);
}
