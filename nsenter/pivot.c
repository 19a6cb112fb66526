/* Entering the root (CompileEnter): pivot_root(".", "."),
 * or with --no-pivot a move of the rootfs onto / and chroot after the
 * procfs and sysfs mounts outside it are hidden, or chroot alone without a
 * mount namespace; then what must wait for the new root: its propagation,
 * process.cwd, a read-only /dev and root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "berth.h"

/* pseudofs_outside lists the mount points of whole procfs and sysfs mounts
 * (root "/": a bind of a subdirectory does not make the filesystem visible
 * to the kernel's check) outside root, deepest first (a stable insertion:
 * among equals the kernel's order), into hide (n entries, pointing into m):
 * the number listed. */
static size_t pseudofs_outside(const struct mnt *m, size_t n, const char *root, const char **hide)
{
	size_t i, k, nh = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(m[i].root, "/") || (strcmp(m[i].fstype, "proc") && strcmp(m[i].fstype, "sysfs")))
			continue;
		if (path_under(m[i].mp, root))
			continue;
		for (k = nh; k > 0 && strlen(hide[k - 1]) < strlen(m[i].mp); k--)
			hide[k] = hide[k - 1];
		hide[k] = m[i].mp;
		nh++;
	}
	return nh;
}

/* hide_pseudofs takes from the mount namespace every whole procfs and
 * sysfs outside the rootfs (the cwd): with chroot the old root stays in the
 * namespace, and while a fully visible procfs or sysfs is anywhere in it
 * the kernel lets a user namespace mount a new one without the container's
 * masks (mount_too_revealing in fs/namespace.c). The list is read here, in
 * the container's namespace as it is now: a joined one has mounts of its
 * own, and mounts may have propagated in since the parent compiled the
 * plan. What the kernel refuses to unmount (locked in a user namespace) is
 * covered with an empty tmpfs. */
static void hide_pseudofs(struct step *s)
{
	char root[PATH_MAX];
	const char **hide;
	struct mnt *m;
	size_t n, nh, i;

	/* The rootfs as the kernel names it, as mountinfo does. */
	if (!getcwd(root, sizeof(root)))
		step_fail(s, errno, "getcwd in the rootfs");
	if (mountinfo_read(&m, &n) < 0)
		step_fail(s, errno, "read /proc/self/mountinfo");
	hide = calloc(n + 1, sizeof(*hide));
	if (!hide)
		step_fail(s, ENOMEM, "read /proc/self/mountinfo");
	nh = pseudofs_outside(m, n, root, hide);
	for (i = 0; i < nh; i++) {
		const char *mp = hide[i];
		debugf("rootfs: %s: hide %s", s->field, mp);
		/* The unmount must not propagate out of the namespace,
		 * whatever the propagation of / is (rootfsPropagation shared). */
		if (mount("", mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT || errno == EINVAL)
				continue; /* gone with a mount above it */
			step_fail(s, errno, "make rslave %s", mp);
		}
		if (umount2(mp, MNT_DETACH) < 0) {
			if (errno != EINVAL && errno != EPERM)
				step_fail(s, errno, "unmount %s", mp);
			if (mount("tmpfs", mp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
				step_fail(s, errno, "cover %s", mp);
		}
	}
	free(hide);
	mountinfo_free(m, n);
}

void do_enter(struct step *s, struct rstep *r)
{
	uint64_t mode = r->u[0], prop = r->u[1];
	const char *rootfs = r->str[0];

	if (chdir(rootfs) < 0)
		step_fail(s, errno, "chdir %s", rootfs);
	if (mode == ENTER_CHROOT) {
		if (chroot(".") < 0)
			step_fail(s, errno, "chroot %s", rootfs);
	} else if (mode == ENTER_NO_PIVOT) {
		hide_pseudofs(s);
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			step_fail(s, errno, "move rootfs onto /");
		if (chroot(".") < 0)
			step_fail(s, errno, "chroot %s", rootfs);
	} else {
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			step_fail(s, errno, "pivot_root .");
		/* The old root must not propagate the unmount to the host. */
		if (mount("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			step_fail(s, errno, "make old root rslave .");
		if (umount2(".", MNT_DETACH) < 0)
			step_fail(s, errno, "unmount old root .");
	}
	if (chdir("/") < 0)
		step_fail(s, errno, "chdir /");
	if (prop && mount("", "/", NULL, (unsigned long)prop, NULL) < 0)
		step_fail(s, errno, "set propagation of /");
	if (rootfs_fd >= 0)
		close(rootfs_fd);
	rootfs_fd = -1;
	/* No private procfs before pivot_root: the container's own /proc
	 * will do now (procfs.c). */
	procfs_init(0);
}

/* do_mkdir_cwd makes a missing process.cwd, as root, before the root may
 * turn read-only (os.MkdirAll). */
void do_mkdir_cwd(struct step *s, struct rstep *r)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i, l;

	l = (size_t)snprintf(path, sizeof(path), "%s", r->str[0]);
	if (l >= sizeof(path))
		step_fail(s, ENAMETOOLONG, "create process.cwd %s", r->str[0]);
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return;
		step_fail(s, ENOTDIR, "create process.cwd %s: mkdir %s", r->str[0], path);
	}
	for (i = 1; i <= l; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			step_fail(s, errno, "create process.cwd %s: mkdir %s", r->str[0], path);
		if (errno == EEXIST && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
			step_fail(s, ENOTDIR, "create process.cwd %s: mkdir %s", r->str[0], path);
		if (i < l)
			path[i] = '/';
		errno = 0;
	}
}

void do_dev_readonly(struct step *s, struct rstep *r)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct target t = {.rootfd = root_fd()};

	(void)r;
	t.fd = open_in(t.rootfd, "dev");
	if (t.fd < 0)
		step_fail(s, errno, "open /dev");
	/* On the fd, not a /proc/self/fd path: after pivot_root that is the
	 * container's /proc. mount_setattr changes this flag alone. */
	if (syscall(SYS_mount_setattr, t.fd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		step_fail(s, errno, "remount read-only /dev");
	target_close(&t);
}

void do_root_readonly(struct step *s, struct rstep *r)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;

	if (r->u[0])
		flags |= locked_flags("/");
	if (mount("", "/", NULL, flags, NULL) < 0)
		step_fail(s, errno, "remount read-only /");
}
