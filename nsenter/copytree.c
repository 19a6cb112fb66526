/* tmpcopyup's copy, walked on fds: each entry keeps its type, owner and
 * mode, setuid, setgid and sticky bits included, as Podman's tmpfs mounts
 * over an image's /tmp or /run must (times are not kept: runc's copy
 * keeps none either). Errors name the entry relative to the destination.
 *
 * The copy runs before pivot_root, where an absolute symlink resolves
 * against the host's root, and the source may be written at the same time
 * (a volume shared with another container): a walk by path would follow a
 * directory swapped for a symlink between its stat and its open and copy
 * host files into the container. So no path is ever resolved through a
 * symlink: every directory is opened beneath the source's root with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), a swap fails the copy
 * (ELOOP) instead of leading out, and every entry is read relative to the
 * directory's fd (fstatat, readlinkat, openat O_NOFOLLOW) and made relative
 * to the copy's (mkdirat, openat, symlinkat, mknodat). Directories are
 * opened from the roots, not kept open down the tree, so a deep tree costs
 * no more fds than a flat one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "berth.h"

struct walk {
	int src, dst; /* the roots */
	struct rerr *e;
	char rel[PATH_MAX]; /* the directory being copied, "" for the root */
};

/* open_beneath opens rel beneath root, refusing every symlink on the way. */
static int open_beneath(int root, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned int)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do {
		fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return (int)fd;
}

/* write_all writes n bytes or fails with write's errno: a tmpfs filling up
 * at its size= takes part of a buffer, and the next write says ENOSPC. */
static int write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			/* No error and no progress: the kernel does not do
			 * this for a regular file; never loop on it. */
			errno = EIO;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* CHANGED: copy_entry's failure when an entry is no more what its stat
 * said (swapped since): errno means nothing then. */
#define CHANGED (-2)

/* copy_file copies the regular file name of dir into a new file of out,
 * private until it has its owner and mode; st becomes what was opened. */
static int copy_file(int dir, const char *name, int out_dir, struct stat *st)
{
	char buf[65536];
	ssize_t n;
	int in, out, saved;

	/* O_NONBLOCK: an entry swapped for a fifo since its stat must not
	 * block the copy; what was opened is checked below. */
	in = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return -1;
	if (fstat(in, st) < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(in);
		return CHANGED;
	}
	out = openat(out_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(out, buf, (size_t)n) < 0) {
			saved = errno;
			close(in);
			close(out);
			errno = saved;
			return -1;
		}
	}
	close(in);
	/* The owner before the mode: chown clears setuid and setgid. */
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0) {
		saved = errno;
		close(out);
		errno = saved;
		return -1;
	}
	return close(out);
}

/* copy_entry makes name of out_dir a copy of name of dir (st, its lstat);
 * a directory is made empty, its entries copied by copy_dir. */
static int copy_entry(int dir, const char *name, int out_dir, struct stat *st)
{
	char link[PATH_MAX];
	ssize_t l;
	int r;

	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		r = mkdirat(out_dir, name, 0700);
		break;
	case S_IFLNK:
		l = readlinkat(dir, name, link, sizeof(link) - 1);
		if (l < 0)
			return -1;
		link[l] = '\0';
		if (symlinkat(link, out_dir, name) < 0)
			return -1;
		/* A symlink's mode means nothing; only its owner is kept. */
		return fchownat(out_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	case S_IFREG:
		return copy_file(dir, name, out_dir, st);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		r = mknodat(out_dir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev);
		break;
	default:
		/* A socket belongs to the process bound to it. */
		return 0;
	}
	/* What was just made in the copy, which nothing else writes: the
	 * mode may follow its name. */
	if (r < 0 || fchownat(out_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return fchmodat(out_dir, name, st->st_mode & 07777, 0);
}

/* names: the subdirectories of a directory, copied once it is closed. */
struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(name)))
		return -1;
	l->n++;
	return 0;
}

static void names_free(struct names *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
}

/* entry_rel names an entry of w->rel in buf, or fails with ENAMETOOLONG. */
static int entry_rel(const struct walk *w, const char *name, char *buf, size_t n)
{
	if ((size_t)snprintf(buf, n, "%s%s%s", w->rel, *w->rel ? "/" : "", name) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* copy_dir copies the entries of w->rel, then its subdirectories'. */
static int copy_dir(struct walk *w)
{
	char rel[PATH_MAX];
	struct names sub = {0};
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int in, out, r = -1, n;
	size_t i, len;

	in = open_beneath(w->src, w->rel, O_RDONLY | O_DIRECTORY);
	if (in < 0 || !(d = fdopendir(in))) {
		rerr_set(w->e, errno, "read %s", *w->rel ? w->rel : ".");
		if (in >= 0)
			close(in);
		return -1;
	}
	out = open_beneath(w->dst, w->rel, O_PATH | O_DIRECTORY);
	if (out < 0) {
		rerr_set(w->e, errno, "open the copy of %s", *w->rel ? w->rel : ".");
		closedir(d);
		return -1;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (entry_rel(w, de->d_name, rel, sizeof(rel)) < 0) {
			rerr_set(w->e, errno, "copy %s/%s", w->rel, de->d_name);
			goto out;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rerr_set(w->e, errno, "stat %s", rel);
			goto out;
		}
		if ((n = copy_entry(dirfd(d), de->d_name, out, &st)) == CHANGED) {
			rerr_set(w->e, 0, "copy %s: no longer a regular file (changed while copied)", rel);
			goto out;
		} else if (n < 0) {
			rerr_set(w->e, errno, "copy %s", rel);
			goto out;
		}
		if (S_ISDIR(st.st_mode) && names_add(&sub, de->d_name) < 0) {
			rerr_set(w->e, errno, "copy %s", rel);
			goto out;
		}
	}
	if (errno) {
		rerr_set(w->e, errno, "read %s", *w->rel ? w->rel : ".");
		goto out;
	}
	closedir(d);
	close(out);
	d = NULL;
	out = -1;
	len = strlen(w->rel);
	for (i = 0; i < sub.n; i++) {
		if (entry_rel(w, sub.v[i], rel, sizeof(rel)) < 0) {
			rerr_set(w->e, errno, "copy %s/%s", w->rel, sub.v[i]);
			goto out;
		}
		memcpy(w->rel, rel, strlen(rel) + 1);
		if (copy_dir(w) < 0)
			goto out;
		w->rel[len] = '\0';
	}
	r = 0;
out:
	if (d)
		closedir(d);
	if (out >= 0)
		close(out);
	names_free(&sub);
	return r;
}

int copy_tree(int src, int dst, struct rerr *e)
{
	struct walk w = {.src = src, .dst = dst, .e = e};

	return copy_dir(&w);
}
