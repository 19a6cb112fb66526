/* linux.readonlyPaths and linux.maskedPaths (CompileProtect), after the
 * root is in place: each path is resolved in the new root; a missing one
 * is skipped, as runtime-spec allows. Directories share one read-only
 * empty tmpfs (the first's, bound over the others, as runc does), other
 * files get the container's /dev/null, checked to be char device 1:3. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"

/* An O_PATH fd of the first directory mask, kept until execve. */
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

void do_readonly_path(struct step *s, struct rstep *r)
{
	const char *path = r->str[0];
	struct target t = {.rootfd = root_fd()};
	struct rerr e;
	char p[64];

	if (open_path(s, path, "readonly path", &t) < 0)
		return;
	target_proc(&t, p, sizeof(p));
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		step_fail(s, errno, "bind readonly path %s", path);
	if (target_reopen(&t, &e) < 0)
		rootfs_fail(s, &e, NULL);
	target_proc(&t, p, sizeof(p));
	if (mount("", p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(p), NULL) < 0)
		step_fail(s, errno, "remount read-only %s", path);
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

void do_mask_path(struct step *s, struct rstep *r)
{
	const char *path = r->str[0];
	struct target t = {.rootfd = root_fd()};
	struct rerr e;
	struct stat st;
	char p[64], src[64];

	if (open_path(s, path, "masked path", &t) < 0)
		return;
	target_proc(&t, p, sizeof(p));
	if (fstat(t.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (dir_mask >= 0) {
			snprintf(src, sizeof(src), "/proc/self/fd/%d", dir_mask);
			if (mount(src, p, NULL, MS_BIND, NULL) < 0)
				step_fail(s, errno, "mask %s", path);
		} else {
			if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k") < 0)
				step_fail(s, errno, "mask %s", path);
			/* The held fd names the covered directory. */
			if (target_reopen(&t, &e) < 0)
				rootfs_fail(s, &e, NULL);
			dir_mask = fcntl(t.fd, F_DUPFD_CLOEXEC, 0);
			if (dir_mask < 0)
				step_fail(s, errno, "dup mask of %s", path);
		}
	} else {
		int null = null_device(s);
		snprintf(src, sizeof(src), "/proc/self/fd/%d", null);
		if (mount(src, p, NULL, MS_BIND, NULL) < 0)
			step_fail(s, errno, "mask %s", path);
		close(null);
	}
	target_close(&t);
}
