/* The mounts of config.json (compiled in rootfs/compile.go, id-mapped
 * sources in libcontainer/idmapmount.go): the parent decided the flags, data
 * and kind of each; what is decided here is only what the container's
 * mount namespace tells at run time (file or directory, the covered
 * directory's mode, the flags the kernel locked on a bind's source). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "berth.h"

#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
#define LOCKABLE_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | ATIME_FLAGS)

static const struct {
	unsigned long st, ms;
	const char *name;
} flag_table[] = {
	{ST_RDONLY, MS_RDONLY, "ro"},	       {ST_NOSUID, MS_NOSUID, "nosuid"},
	{ST_NODEV, MS_NODEV, "nodev"},	       {ST_NOEXEC, MS_NOEXEC, "noexec"},
	{ST_NOATIME, MS_NOATIME, "noatime"},   {ST_NODIRATIME, MS_NODIRATIME, "nodiratime"},
	{ST_RELATIME, MS_RELATIME, "relatime"}, {0, MS_STRICTATIME, "strictatime"},
};

/* flag_names spells flags as mount options ("ro,nosuid"). */
static const char *flag_names(unsigned long f, char *buf, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
		if (f & flag_table[i].ms)
			o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? "," : "", flag_table[i].name);
	return buf;
}

/* mount_flags reads the MS_* flags of the mount at path (mountFlags):
 * statfs has no bit for strictatime, the mode when no other is set. */
static int mount_flags(const char *path, unsigned long *out)
{
	struct statfs st;
	unsigned long f = 0;
	size_t i;

	if (statfs(path, &st) < 0)
		return -1;
	for (i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
		if (flag_table[i].st && ((unsigned long)st.f_flags & flag_table[i].st))
			f |= flag_table[i].ms;
	if (!(f & (MS_NOATIME | MS_RELATIME)))
		f |= MS_STRICTATIME;
	*out = f;
	return 0;
}

unsigned long locked_flags(const char *path)
{
	unsigned long f;

	if (mount_flags(path, &f) < 0)
		return 0;
	return f & ~MS_STRICTATIME;
}

int remount_bind(struct target *t, unsigned long flags, unsigned long cleared, int userns, struct rerr *e)
{
	char p[64], a[128], b[128];
	unsigned long locked, c, at;

	target_proc(t, p, sizeof(p));
	if (mount("", p, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
		return 0;
	if (errno != EPERM || !userns) {
		rerr_set(e, errno, "%s", "");
		return -1;
	}
	if (mount_flags(p, &locked) < 0) {
		rerr_set(e, EPERM, "(and reading the source's flags: %s)", strerror(errno));
		return -1;
	}
	locked &= LOCKABLE_FLAGS;
	if ((c = locked & cleared)) {
		rerr_set(e, EPERM,
			 "options ask to clear %s, which the kernel locked on the source (a mount of a more privileged user namespace)",
			 flag_names(c, a, sizeof(a)));
		return -1;
	}
	at = flags & ATIME_FLAGS;
	if (at && at != (locked & ATIME_FLAGS)) {
		rerr_set(e, EPERM, "options ask for %s, but the kernel locked the source's atime mode %s",
			 flag_names(at, a, sizeof(a)), flag_names(locked & ATIME_FLAGS, b, sizeof(b)));
		return -1;
	}
	if (mount("", p, NULL, MS_BIND | MS_REMOUNT | flags | locked, NULL) < 0) {
		rerr_set(e, errno, "with the source's locked flags %s kept", flag_names(locked, a, sizeof(a)));
		return -1;
	}
	return 0;
}

int finish_mount(struct target *t, const struct rstep *r, struct rerr *e)
{
	char p[64];
	uint64_t i;

	if (r->nprop == 0 && r->attr_set == 0 && r->attr_clr == 0)
		return 0;
	if (target_reopen(t, e) < 0)
		return -1;
	target_proc(t, p, sizeof(p));
	for (i = 0; i < r->nprop; i++) {
		if (mount("", p, NULL, (unsigned long)r->prop[i], NULL) < 0) {
			rerr_set(e, errno, "set propagation of %s", t->path);
			return -1;
		}
	}
	if (r->attr_set || r->attr_clr) {
		struct mount_attr attr = {.attr_set = r->attr_set, .attr_clr = r->attr_clr};
		if (syscall(SYS_mount_setattr, -1, p, AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
			rerr_set(e, errno, "mount_setattr %s", t->path);
			return -1;
		}
	}
	return 0;
}

/* make_parent_private makes the mount holding the rootfs's parent private
 * before / turns shared: pivot_root refuses a new root whose parent mount
 * is shared, and the rootfs's bind must not reach its peers. The mount is
 * looked up here, in the container's namespace (a joined one has mounts of
 * its own), under the parent directory's real name (mountinfo's). */
static void make_parent_private(struct step *s, const char *rootfs)
{
	char dir[PATH_MAX], real[PATH_MAX], mp[PATH_MAX];
	char *slash;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", rootfs) >= sizeof(dir))
		step_fail(s, ENAMETOOLONG, "make private the parent of %s", rootfs);
	slash = strrchr(dir, '/');
	if (!slash)
		step_fail(s, EINVAL, "make private the parent of %s: not an absolute path", rootfs);
	if (slash == dir)
		slash++; /* "/rootfs": the parent is "/" */
	*slash = '\0';
	if (!realpath(dir, real))
		step_fail(s, errno, "make private the parent of %s: resolve %s", rootfs, dir);
	if (mount_point_of(real, mp, sizeof(mp)) < 0)
		step_fail(s, errno, "make private the parent of %s: read /proc/self/mountinfo", rootfs);
	if (mount("", mp, NULL, MS_PRIVATE, NULL) < 0)
		step_fail(s, errno, "make private %s", mp);
}

void do_root_bind(struct step *s, struct rstep *r)
{
	uint64_t mountns = r->u[0], prop = r->u[1];
	const char *rootfs = r->str[0];

	if (mountns) {
		if (mount("", "/", NULL, (unsigned long)prop, NULL) < 0)
			step_fail(s, errno, "set propagation of /");
		if (prop & MS_SHARED)
			make_parent_private(s, rootfs);
	}
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		step_fail(s, errno, "bind mount rootfs %s", rootfs);
	rootfs_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfs_fd < 0)
		step_fail(s, errno, "open rootfs %s", rootfs);
}

void source_fail(const struct step *s, const struct mount_source *src, int err, const char *fmt, ...)
{
	char text[PATH_MAX + 256], words[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (src->fd < 0)
		step_fail(s, err, "%s", text);
	/* The fd's path means nothing to the user: the message names the
	 * configured source, and says what the fd is after the errno, as the
	 * Go init did. */
	step_fail(s, 0, "%s%s%s (%s is %s, opened by the runtime)", text, err ? ": " : "",
		  err ? go_strerror(err, words, sizeof(words)) : "", src->path, src->name);
}

/* set_bind_flags gives the bind at t the flags its options ask for, then
 * propagation and recursive attributes. */
static void set_bind_flags(struct step *s, struct rstep *r, struct target *t, const struct mount_source *src)
{
	unsigned long flags = (unsigned long)r->u[3] & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT);
	unsigned long cleared = (unsigned long)r->u[4];
	struct rerr e;

	if (flags || cleared) {
		if (target_reopen(t, &e) < 0)
			rootfs_fail(s, &e, NULL);
		if (remount_bind(t, flags, cleared, (r->u[2] & HOW_USERNS) != 0, &e) < 0) {
			if (e.msg[0])
				source_fail(s, src, e.err, "remount %s on %s: %s", src->name, t->path, e.msg);
			source_fail(s, src, e.err, "remount %s on %s", src->name, t->path);
		}
	}
	if (finish_mount(t, r, &e) < 0)
		rootfs_fail(s, &e, NULL);
}

static void bind_mount(struct step *s, struct rstep *r, struct target *t, const struct mount_source *src)
{
	char p[64];

	target_proc(t, p, sizeof(p));
	if (mount(src->path, p, NULL, MS_BIND | ((unsigned long)r->u[3] & MS_REC), NULL) < 0)
		source_fail(s, src, errno, "bind mount %s on %s", src->name, t->path);
	set_bind_flags(s, r, t, src);
}

/* idmapped attaches the parent's detached id-mapped mount. */
static void idmapped(struct step *s, struct rstep *r)
{
	const char *src = r->str[0], *dest = r->str[1];
	char why[256];
	struct target t;
	struct rerr e;
	struct stat st;
	int fd = ask_mount_source(r->u[0], why, sizeof(why));

	if (fd < 0)
		step_fail(s, 0, "id-mapped mount of %s: %s", src, why);
	if (fstat(fd, &st) < 0)
		step_fail(s, errno, "stat the id-mapped mount of %s", src);
	if (ensure_in(root_fd(), dest, !S_ISDIR(st.st_mode), &t, &e) < 0)
		rootfs_fail(s, &e, "mount destination");
	if (syscall(SYS_move_mount, fd, "", t.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		step_fail(s, errno, "attach the id-mapped mount of %s on %s", src, dest);
	close(fd);
	set_bind_flags(s, r, &t, &(struct mount_source){.name = src, .path = src, .fd = -1});
	target_close(&t);
}

/* inherit_mode puts the covered directory's mode first in a tmpfs's data:
 * a later mode= of config.json still wins. */
static const char *inherit_mode(struct step *s, const char *dest, const char *data, char *buf, size_t n)
{
	char rel[PATH_MAX];
	struct stat st;
	int fd;

	if (clean_rel(dest, rel, sizeof(rel)) < 0)
		step_fail(s, errno, "mount destination: resolve %s", dest);
	fd = open_in(root_fd(), rel);
	if (fd < 0 && errno == ENOENT)
		return data;
	if (fd < 0)
		step_fail(s, errno, "mount destination: resolve %s", dest);
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return data;
	}
	close(fd);
	if ((size_t)snprintf(buf, n, "mode=%04o%s%s", st.st_mode & 07777, *data ? "," : "", data) >= n)
		step_fail(s, E2BIG, "mount data of %s", dest);
	return buf;
}

void do_mount(struct step *s, struct rstep *r)
{
	uint64_t index = r->u[0], kind = r->u[1], how = r->u[2];
	unsigned long flags = (unsigned long)r->u[3];
	const char *src = r->str[0], *dest = r->str[1], *fstype = r->str[2], *data = r->str[3];
	const char *fallback = r->str[4];
	char databuf[8192], p[64], why[256];
	struct mount_source sc = {.name = src, .path = src, .fd = -1};
	int file = 0;
	struct target t;
	struct rerr e;

	debugf("rootfs: %s: %s (type \"%s\") on %s, flags %#lx, data \"%s\"", s->field, src, fstype, dest, flags, data);
	if (kind == MOUNT_IDMAP) {
		idmapped(s, r);
		return;
	}
	if (kind == MOUNT_BIND || (how & HOW_BIND_SOURCE)) {
		struct stat st;
		/* EPERM too, as the Go init's fs.ErrPermission: an LSM may
		 * say it where the mode bits say EACCES. */
		if ((how & HOW_ASK_SOURCE) && stat(src, &st) < 0 && (errno == EACCES || errno == EPERM)) {
			sc.fd = ask_mount_source(index, why, sizeof(why));
			if (sc.fd < 0)
				step_fail(s, 0, "bind mount source %s, unreachable by the container's root: %s", src, why);
			snprintf(sc.buf, sizeof(sc.buf), "/proc/self/fd/%d", sc.fd);
			sc.path = sc.buf;
		}
		if (stat(sc.path, &st) < 0)
			source_fail(s, &sc, errno, "bind mount source: stat %s", src);
		file = !S_ISDIR(st.st_mode);
	}
	if (how & HOW_INHERIT_MODE)
		data = inherit_mode(s, dest, data, databuf, sizeof(databuf));
	if (how & HOW_ORDINARY_DIR) {
		if (ordinary_dir_in(root_fd(), dest, fstype, &t, &e) < 0)
			rootfs_fail(s, &e, "mount destination");
	} else if (ensure_in(root_fd(), dest, file, &t, &e) < 0) {
		rootfs_fail(s, &e, "mount destination");
	}
	if (kind == MOUNT_TMPCOPYUP) {
		do_tmpcopyup(s, r, &t, &sc, data);
	} else if (kind == MOUNT_BIND) {
		bind_mount(s, r, &t, &sc);
	} else {
		target_proc(&t, p, sizeof(p));
		if (mount(src, p, fstype, flags, data) < 0) {
			if (errno == EPERM && *fallback && (how & HOW_USERNS)) {
				/* The host's proc or sysfs (hostFallback), with its
				 * submounts, which are locked to it. */
				r->u[3] |= MS_BIND | MS_REC;
				bind_mount(s, r, &t, &(struct mount_source){.name = fallback, .path = fallback, .fd = -1});
			} else {
				step_fail(s, errno, "mount %s on %s", fstype, dest);
			}
		} else if (finish_mount(&t, r, &e) < 0) {
			rootfs_fail(s, &e, NULL);
		}
	}
	target_close(&t);
	if (sc.fd >= 0)
		close(sc.fd);
}
