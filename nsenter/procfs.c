/*
 * A verified procfs handle for what the stage reads and writes under /proc
 * once the plan runs: sysctls, the LSM exec label, exec.fifo's reopen and
 * the fd listing. After pivot_root, "/proc" is whatever config.json and the
 * image put there, which need not be procfs at all (an image can ship
 * /proc/self/fd/5 or /proc/thread-self/attr/exec as plain files: the fifo
 * wait would return at once, the label would "apply"). This is the class of
 * CVE-2019-16884 and CVE-2025-52881, which runc closes the same way.
 *
 * The handle is made once, while the stage is still root with every
 * capability and before any seccomp filter: a private procfs of the
 * stage's own pid namespace (fsopen + fsmount, nothing mounted beneath
 * it), else a non-recursive clone of the mounted /proc (no overmounts;
 * refused with locked submounts in a user namespace), else /proc itself.
 * Each must be the root of a procfs (f_type, inode 1). An exec makes it at
 * the plan's start, in the container's root. A container's init tries the
 * private procfs at the plan's start too, before pivot_root: in a user
 * namespace the kernel allows it only while a fully visible procfs is
 * mounted (mount_too_revealing), and the host's still is; but a clone of
 * the host's /proc, of the host's pid namespace, would show the container
 * more than its own /proc does, so the others wait for pivot_root. Paths
 * are opened beneath it with openat2, no symlink followed and no mount
 * crossed, by the stage's pid, not through "self" or "thread-self"; and
 * what was opened must be on procfs too. The directories the late steps
 * need (our fd and attr directories) are opened here too: exec.fifo's
 * reopen and the label come after a seccomp filter that may refuse openat2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>

#include "berth.h"

/* The inode number of every procfs's root (the kernel's PROC_ROOT_INO). */
#define PROC_ROOT_INODE 1

/* The procfs root, our /proc/<pid>/fd and /proc/<pid>/attr (and its
 * apparmor/ directory): O_CLOEXEC, gone at execve. */
static int proc_root = -1, fd_dir = -1, attr_dir = -1, apparmor_dir = -1;
/* The stage's pid as the handle's procfs numbers it. */
static pid_t proc_pid;
/* Why there is no handle, or which one it is. */
static char proc_why[512] = "the procfs handle was not made";
static const char *proc_kind = "";

/* is_procfs: fd is on a procfs (and with root, its root directory). */
static int is_procfs(int fd, int root, char *why, size_t n)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(fd, &sfs) < 0) {
		snprintf(why, n, "statfs: %s", strerror(errno));
		return 0;
	}
	if (sfs.f_type != PROC_SUPER_MAGIC) {
		snprintf(why, n, "not on procfs (filesystem type %#lx)", (unsigned long)sfs.f_type);
		return 0;
	}
	if (root && (fstat(fd, &st) < 0 || st.st_ino != PROC_ROOT_INODE)) {
		snprintf(why, n, "not the root of a procfs");
		return 0;
	}
	return 1;
}

static int private_procfs(char *why, size_t n)
{
	int fs, mnt;

	fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0) {
		snprintf(why, n, "fsopen proc: %s", strerror(errno));
		return -1;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		snprintf(why, n, "create a procfs: %s", strerror(errno));
		close(fs);
		return -1;
	}
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		snprintf(why, n, "fsmount proc: %s", strerror(errno));
	close(fs);
	return mnt;
}

/* open_beneath: openat2 under dir, no symlink (so no magic link) followed
 * and no mount crossed; the result must be on procfs. */
static int open_beneath(int dir, const char *rel, int flags, char *why, size_t n)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	char what[128];
	int fd, saved;

	do {
		fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	if (fd < 0) {
		saved = errno;
		snprintf(why, n, "open /proc/%s through the procfs handle", rel);
		errno = saved;
		return -1;
	}
	if (!is_procfs(fd, 0, what, sizeof(what))) {
		close(fd);
		snprintf(why, n, "open /proc/%s through the procfs handle: %s", rel, what);
		errno = 0; /* the message says it all */
		return -1;
	}
	return fd;
}

/* self_pid reads the handle's "self" link, which the kernel writes for the
 * reader: our pid in that procfs's pid namespace (a clone or /proc may be
 * another namespace's than ours, the host's before pivot_root). */
static pid_t self_pid(int root, char *why, size_t n)
{
	char buf[32];
	ssize_t l;
	long v;
	int fd = open_beneath(root, "self", O_PATH | O_NOFOLLOW, why, n);

	if (fd < 0)
		return -1;
	l = readlinkat(fd, "", buf, sizeof(buf) - 1);
	close(fd);
	if (l <= 0) {
		snprintf(why, n, "read the procfs's self link: %s", l < 0 ? strerror(errno) : "empty");
		return -1;
	}
	buf[l] = '\0';
	v = strtol(buf, NULL, 10);
	if (v <= 0) {
		snprintf(why, n, "the procfs's self link reads \"%s\"", buf);
		return -1;
	}
	return (pid_t)v;
}

/* candidate: fd (or -1, errno set by how) if it is a procfs root; else
 * closed, -1, and why says what it is, prefixed by name. */
static int candidate(int fd, const char *name, char *why, size_t n)
{
	char what[128];

	if (fd < 0) {
		snprintf(why, n, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!is_procfs(fd, 1, what, sizeof(what))) {
		snprintf(why, n, "%s: %s", name, what);
		close(fd);
		return -1;
	}
	return fd;
}

/* make_root: the first procfs root that passes, into proc_root; with
 * private_only, only a private procfs. */
static int make_root(int private_only, char *why, size_t n)
{
	char a[160], b[160], c[160];
	int fd;

	fd = private_procfs(a, sizeof(a));
	if (fd >= 0 && (fd = candidate(fd, "private procfs", a, sizeof(a))) >= 0) {
		proc_root = fd;
		proc_pid = getpid();
		proc_kind = "private procfs";
		return 0;
	}
	if (private_only) {
		snprintf(why, n, "no procfs: %s", a);
		return -1;
	}
	proc_kind = "clone of /proc";
	fd = candidate((int)syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC), "clone /proc", b,
		       sizeof(b));
	if (fd < 0) {
		proc_kind = "/proc";
		fd = candidate(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), "/proc", c, sizeof(c));
	}
	if (fd < 0) {
		snprintf(why, n, "no procfs: %s; %s; %s", a, b, c);
		return -1;
	}
	proc_pid = self_pid(fd, why, n);
	if (proc_pid < 0) {
		close(fd);
		return -1;
	}
	proc_root = fd;
	return 0;
}

void procfs_init(int private_only)
{
	char rel[64], why[sizeof(proc_why)];

	if (proc_root >= 0)
		return;
	if (make_root(private_only, proc_why, sizeof(proc_why)) < 0) {
		debugf("procfs: %s", proc_why);
		return;
	}
	snprintf(proc_why, sizeof(proc_why), "%s", "");
	snprintf(rel, sizeof(rel), "%d/fd", (int)proc_pid);
	fd_dir = open_beneath(proc_root, rel, O_RDONLY | O_DIRECTORY, proc_why, sizeof(proc_why));
	/* proc_why is said later, without errno: keep the cause in it. */
	if (fd_dir < 0 && errno) {
		size_t l = strlen(proc_why);
		snprintf(proc_why + l, sizeof(proc_why) - l, ": %s", strerror(errno));
	}
	/* attr/ is missing without CONFIG_SECURITY, apparmor/ without
	 * AppArmor: only a label step needs them, and fails then. */
	snprintf(rel, sizeof(rel), "%d/attr", (int)proc_pid);
	attr_dir = open_beneath(proc_root, rel, O_PATH | O_DIRECTORY, why, sizeof(why));
	if (attr_dir >= 0)
		apparmor_dir = open_beneath(attr_dir, "apparmor", O_PATH | O_DIRECTORY, why, sizeof(why));
	debugf("procfs: %s, pid %d", proc_kind, (int)proc_pid);
}

/* no_handle: why there is no handle (or no fd directory), errno ENOENT. */
static int no_handle(struct rerr *e)
{
	rerr_set(e, 0, "%s", proc_why);
	errno = ENOENT;
	return -1;
}

int proc_open(const char *rel, int flags, struct rerr *e)
{
	int fd;

	if (proc_root < 0)
		return no_handle(e);
	fd = open_beneath(proc_root, rel, flags, e->msg, sizeof(e->msg));
	e->err = fd < 0 ? errno : 0;
	return fd;
}

int proc_attr_open(int apparmor, const char *name, int flags, struct rerr *e)
{
	int dir = apparmor ? apparmor_dir : attr_dir, fd;
	char what[128];

	if (proc_root < 0)
		return no_handle(e);
	if (dir < 0) {
		rerr_set(e, ENOENT, "open %s/exec in the procfs handle (%s)", apparmor ? "attr/apparmor" : "attr", proc_kind);
		errno = ENOENT;
		return -1;
	}
	/* One name in a directory held open: no path is walked (a seccomp
	 * filter is loaded by now, and may refuse openat2). */
	fd = openat(dir, name, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rerr_set(e, errno, "open %s/%s in the procfs handle", apparmor ? "attr/apparmor" : "attr", name);
		return -1;
	}
	if (!is_procfs(fd, 0, what, sizeof(what))) {
		close(fd);
		rerr_set(e, 0, "open %s/%s in the procfs handle: %s", apparmor ? "attr/apparmor" : "attr", name, what);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

int proc_reopen(int fd, int flags, struct rerr *e)
{
	struct stat want, got;
	char name[16];
	int w, saved;

	if (fd_dir < 0)
		return no_handle(e);
	if (fstat(fd, &want) < 0) {
		rerr_set(e, errno, "stat fd %d", fd);
		return -1;
	}
	/* The one magic link the stage follows: fd's own entry. */
	snprintf(name, sizeof(name), "%d", fd);
	do {
		w = openat(fd_dir, name, flags | O_CLOEXEC);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		saved = errno;
		rerr_set(e, saved, "reopen fd %d through the procfs handle", fd);
		errno = saved;
		return -1;
	}
	if (fstat(w, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
		close(w);
		rerr_set(e, 0, "reopen fd %d through the procfs handle: not the same file", fd);
		errno = EXDEV;
		return -1;
	}
	return w;
}

int proc_fd_ready(struct rerr *e) { return fd_dir < 0 ? no_handle(e) : 0; }

int proc_fd_list(struct rerr *e)
{
	int fd;

	if (fd_dir < 0)
		return no_handle(e);
	fd = openat(fd_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rerr_set(e, errno, "open the fd directory");
	return fd;
}
