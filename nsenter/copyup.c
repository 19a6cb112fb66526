/* tmpcopyup's copy: each entry keeps its type, owner
 * and mode, setuid, setgid and sticky bits included, as Podman's tmpfs
 * mounts over an image's /tmp or /run must. Errors name the entry
 * relative to the destination. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"

/* nftw gives its callback no context: one copy runs at a time. */
static const char *copy_src, *copy_dst;
static size_t copy_srclen;
static struct rerr *copy_err;

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out, saved;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			saved = n < 0 ? errno : (errno ? errno : EIO);
			close(in);
			close(out);
			errno = saved;
			return -1;
		}
	}
	close(in);
	return close(out);
}

/* copy_entry makes to as a copy of from; the owner before the mode,
 * because chown clears the setuid and setgid bits. */
static int copy_entry(const char *from, const char *to, const struct stat *st)
{
	char link[PATH_MAX];
	ssize_t l;
	int r;

	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		r = mkdir(to, 0700);
		break;
	case S_IFLNK:
		l = readlink(from, link, sizeof(link) - 1);
		if (l < 0)
			return -1;
		link[l] = '\0';
		if (symlink(link, to) < 0)
			return -1;
		/* A symlink's mode means nothing; only its owner is kept. */
		return lchown(to, st->st_uid, st->st_gid);
	case S_IFREG:
		r = copy_file(from, to);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		r = mknod(to, (st->st_mode & S_IFMT) | 0600, st->st_rdev);
		break;
	default:
		/* A socket belongs to the process bound to it. */
		return 0;
	}
	if (r < 0 || lchown(to, st->st_uid, st->st_gid) < 0)
		return -1;
	return fchmodat(AT_FDCWD, to, st->st_mode & 07777, 0);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + copy_srclen;
	char to[PATH_MAX * 2];
	struct stat lst;

	(void)st;
	(void)ftw;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return 0;
	if (flag == FTW_DNR || flag == FTW_NS) {
		rerr_set(copy_err, errno, "read %s", rel);
		return 1;
	}
	if (lstat(path, &lst) < 0) {
		rerr_set(copy_err, errno, "stat %s", rel);
		return 1;
	}
	snprintf(to, sizeof(to), "%s/%s", copy_dst, rel);
	if (copy_entry(path, to, &lst) < 0) {
		rerr_set(copy_err, errno, "copy %s", rel);
		return 1;
	}
	return 0;
}

int copy_tree(const char *src, const char *dst, struct rerr *e)
{
	int r;

	copy_src = src;
	copy_srclen = strlen(src);
	copy_dst = dst;
	copy_err = e;
	r = nftw(src, visit, 16, FTW_PHYS);
	if (r < 0) {
		rerr_set(e, errno, "read .");
		return -1;
	}
	return r ? -1 : 0;
}
