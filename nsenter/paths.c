/* linux.readonlyPaths and linux.maskedPaths (CompileProtect), after the
 * root is in place: each path is resolved in the new root; a missing one
 * is skipped, as runtime-spec allows. Directories share one read-only
 * empty tmpfs (the first's, bound over the others, as runc does), other
 * files get the container's /dev/null, checked to be char device 1:3.
 * Every mount here is made on fds with the new mount API (open_tree,
 * fsmount, move_mount, mount_setattr): after pivot_root a /proc/self/fd/N
 * path would go through the container's /proc, which config.json may not
 * mount and the image may fill with anything. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "berth.h"

/* The first directory mask (its mount's fd), kept until OP_ROOTFS_DONE. */
static int dir_mask = -1;

void masks_done(void)
{
	if (dir_mask >= 0)
		close(dir_mask);
	dir_mask = -1;
}

/* open_path opens path (a readonly or masked one, named by what) inside
 * the root into t: 0, or -1 when it does not exist, which the spec allows. */
static int open_path(struct step *s, const char *path, const char *what, struct target *t)
{
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->rel[0] = '\0';
	t->fd = open_in(t->rootfd, path);
	if (t->fd < 0 && errno == ENOENT)
		return -1;
	if (t->fd < 0)
		step_fail(s, errno, "open %s %s", what, path);
	return 0;
}

/* attach_clone mounts a clone of the mount at src (recursive: with what is
 * mounted beneath it), read-only if asked, on dst: 0, or -1 with errno. */
static int attach_clone(int src, int recursive, int rdonly, int dst)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	int m, saved;

	m = (int)syscall(SYS_open_tree, src, "",
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
	if (m < 0)
		return -1;
	/* Read-only before it is attached: never visible writable. */
	if ((rdonly && syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) ||
	    syscall(SYS_move_mount, m, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		saved = errno;
		close(m);
		errno = saved;
		return -1;
	}
	close(m);
	return 0;
}

void do_readonly_path(struct step *s, struct rstep *r)
{
	const char *path = r->str[0];
	struct target t = {.rootfd = root_fd()};

	if (open_path(s, path, "readonly path", &t) < 0)
		return;
	/* A recursive bind of the path on itself, its top mount read-only
	 * (runc's bind, then remount). */
	if (attach_clone(t.fd, 1, 1, t.fd) < 0)
		step_fail(s, errno, "bind readonly path %s read-only", path);
	target_close(&t);
}

static int null_device(struct step *s)
{
	int fd = open_in(root_fd(), "/dev/null");
	struct stat st;

	if (fd < 0)
		step_fail(s, errno, "open /dev/null");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		step_fail(s, ENODEV, "mask with /dev/null");
	return fd;
}

/* empty_tmpfs: a detached, read-only, empty tmpfs (mount("tmpfs", ...,
 * MS_RDONLY, "size=0k")). */
static int empty_tmpfs(void)
{
	int fs, m, saved;

	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		saved = errno;
		close(fs);
		errno = saved;
		return -1;
	}
	m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	saved = errno;
	close(fs);
	errno = saved;
	return m;
}

void do_mask_path(struct step *s, struct rstep *r)
{
	const char *path = r->str[0];
	struct target t = {.rootfd = root_fd()};
	struct stat st;

	if (open_path(s, path, "masked path", &t) < 0)
		return;
	if (fstat(t.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (dir_mask >= 0) {
			if (attach_clone(dir_mask, 0, 0, t.fd) < 0)
				step_fail(s, errno, "mask %s", path);
		} else {
			int m = empty_tmpfs();
			if (m < 0)
				step_fail(s, errno, "mask %s: make an empty tmpfs", path);
			if (syscall(SYS_move_mount, m, "", t.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				step_fail(s, errno, "mask %s", path);
			/* Attached, the fd names the mask the others share. */
			dir_mask = m;
		}
	} else {
		int null = null_device(s);
		if (attach_clone(null, 0, 0, t.fd) < 0)
			step_fail(s, errno, "mask %s", path);
		close(null);
	}
	target_close(&t);
}
