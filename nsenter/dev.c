/* /dev (compiled in rootfs/compile.go): linux.devices as nodes, or in a user namespace
 * (no CAP_MKNOD) the host's node at the same path bind-mounted, checked to
 * be the device asked for; then the standard links. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"

static void bind_device(struct step *s, const char *path, int type, uint64_t major, uint64_t minor)
{
	struct stat st;
	struct target t;
	struct rerr e;
	mode_t want = type == 'b' ? S_IFBLK : S_IFCHR;
	char p[64];

	if (stat(path, &st) < 0)
		step_fail(s, errno,
			  "create device %s: no mknod without root: a device is the host's node at the same path, bind-mounted",
			  path);
	if ((st.st_mode & S_IFMT) != want || major(st.st_rdev) != major || minor(st.st_rdev) != minor)
		step_fail(s, 0,
			  "create device %s: no mknod without root: a device is the host's node at the same path, bind-mounted, and the host's %s is not %c %llu:%llu",
			  path, path, type, (unsigned long long)major, (unsigned long long)minor);
	if (ensure_in(root_fd(), path, 1, &t, &e) < 0)
		rootfs_fail(s, &e, "create device");
	target_proc(&t, p, sizeof(p));
	if (mount(path, p, NULL, MS_BIND, NULL) < 0)
		step_fail(s, errno, "create device %s", path);
	target_close(&t);
}

void do_device(struct step *s, struct rstep *r)
{
	int type = (int)r->u[0];
	mode_t mode = (mode_t)r->u[1] & 07777, fmt;
	uint64_t major = r->u[2], minor = r->u[3];
	uid_t uid = (uid_t)r->u[4];
	gid_t gid = (gid_t)r->u[5];
	const char *path = r->str[0];
	char rel[PATH_MAX], dir[PATH_MAX];
	const char *name;
	struct target parent;
	struct rerr e;

	if (clean_rel(path, rel, sizeof(rel)) < 0)
		step_fail(s, errno, "create device %s: resolve %s", path, path);
	name = strrchr(rel, '/');
	if (name) {
		snprintf(dir, sizeof(dir), "/%.*s", (int)(name - rel), rel);
		name++;
	} else {
		snprintf(dir, sizeof(dir), "/");
		name = rel;
	}
	if (!*name)
		step_fail(s, EINVAL, "create device %s", path);
	if (ensure_in(root_fd(), dir, 0, &parent, &e) < 0) {
		step_fail(s, e.err, "create device %s: %s", path, e.msg);
	}
	if (r->u[6]) {
		bind_device(s, path, type, major, minor);
		target_close(&parent);
		return;
	}
	fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	/* Whatever is there gives way to the device. */
	if (unlinkat(parent.fd, name, 0) < 0 && errno != ENOENT)
		step_fail(s, errno, "create device %s: remove %s", path, path);
	if (mknodat(parent.fd, name, fmt | mode, makedev(major, minor)) < 0) {
		if (errno != EPERM)
			step_fail(s, errno, "create device %s", path);
		/* No CAP_MKNOD (a user namespace we were not told of). */
		bind_device(s, path, type, major, minor);
		target_close(&parent);
		return;
	}
	/* mknod honours the umask; the mode must be exactly as configured. */
	if (fchmodat(parent.fd, name, mode, 0) < 0)
		step_fail(s, errno, "create device %s", path);
	if (fchownat(parent.fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		step_fail(s, errno, "create device %s", path);
	target_close(&parent);
}

void do_dev_links(struct step *s, struct rstep *r)
{
	int devfd = open_in(root_fd(), "dev");
	uint64_t i;

	if (devfd < 0)
		step_fail(s, errno, "open /dev");
	for (i = 0; i < r->n; i++) {
		const char *target = r->list[2 * i], *name = r->list[2 * i + 1];
		/* A device node of the same name (ptmx) gives way to the link. */
		if (!strcmp(name, "ptmx") && unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
			step_fail(s, errno, "remove /dev/ptmx");
		if (symlinkat(target, devfd, name) < 0 && errno != EEXIST)
			step_fail(s, errno, "symlink /dev/%s", name);
	}
	close(devfd);
}
