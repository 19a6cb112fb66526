/* Path resolution inside the rootfs: every destination is resolved with
 * openat2(RESOLVE_IN_ROOT), so no ".." or symlink planted in the image
 * leads out of it, and missing parts are made one name at a time under an
 * fd that was itself resolved in the root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "berth.h"

/* The most symlinks followed on one path, as the kernel's 40. */
#define MAX_LINKS 40

void rerr_set(struct rerr *e, int err, const char *fmt, ...)
{
	va_list ap;

	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int open_in(int rootfd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!*rel)
		rel = ".";
	do {
		fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return (int)fd;
}

/* clean_rel is filepath.Clean("/" + in) without its leading slash ("" for
 * the root): "." and empty names go, ".." stops at the root. 0, or -1 with
 * ENAMETOOLONG when the clean path does not fit in n: a name that does not
 * fit is never dropped (the path would name another file), but counted,
 * since a later ".." may take it off again as it does in Go. */
int clean_rel(const char *in, char *out, size_t n)
{
	size_t o = 0, over = 0;

	out[0] = '\0';
	while (*in) {
		const char *e;
		size_t l;
		while (*in == '/')
			in++;
		e = strchrnul(in, '/');
		l = (size_t)(e - in);
		if (l == 0 || (l == 1 && in[0] == '.')) {
			/* nothing */
		} else if (l == 2 && in[0] == '.' && in[1] == '.') {
			if (over) {
				over--;
			} else {
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;
				out[o] = '\0';
			}
		} else if (over || o + (o > 0) + l + 1 > n) {
			over++;
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, in, l);
			o += l;
			out[o] = '\0';
		}
		in = e;
	}
	if (over) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void target_proc(const struct target *t, char *buf, size_t n) { snprintf(buf, n, "/proc/self/fd/%d", t->fd); }

void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int target_reopen(struct target *t, struct rerr *e)
{
	char rel[PATH_MAX];
	int fd;

	if (t->rel[0]) {
		snprintf(rel, sizeof(rel), "%s", t->rel);
	} else if (clean_rel(t->path, rel, sizeof(rel)) < 0) {
		rerr_set(e, errno, "resolve %s", t->path);
		return -1;
	}
	fd = open_in(t->rootfd, rel);
	if (fd < 0) {
		rerr_set(e, errno, "reopen %s", t->path);
		return -1;
	}
	close(t->fd);
	t->fd = fd;
	return 0;
}

/* readlink_in reads the symlink name in dir (relative to the root). */
static ssize_t readlink_in(int rootfd, const char *dir, const char *name, char *buf, size_t n)
{
	int dfd = open_in(rootfd, dir);
	ssize_t r;
	int saved;

	if (dfd < 0)
		return -1;
	r = readlinkat(dfd, name, buf, n - 1);
	saved = errno;
	close(dfd);
	errno = saved;
	if (r >= 0)
		buf[r] = '\0';
	return r;
}

/* follow_links: rel with each symlink on its
 * way, dangling ones too, replaced by what it names, read inside the root.
 * Only a candidate: the caller still resolves it with RESOLVE_IN_ROOT. */
static int follow_links(int rootfd, const char *rel, char *out, size_t n)
{
	char todo[2 * PATH_MAX], link[PATH_MAX], tmp[2 * PATH_MAX];
	size_t o = 0;
	int links = 0, missing = 0;
	char *p;

	snprintf(todo, sizeof(todo), "%s", rel);
	out[0] = '\0';
	p = todo;
	while (*p) {
		char name[NAME_MAX + 1];
		char *e = strchrnul(p, '/');
		size_t l = (size_t)(e - p);
		char *rest = *e ? e + 1 : e;

		if (l == 0 || (l == 1 && p[0] == '.')) {
			p = rest;
			continue;
		}
		if (l == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			p = rest;
			continue;
		}
		if (l > NAME_MAX || o + l + 2 >= n) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, l);
		name[l] = '\0';
		if (!missing) {
			ssize_t r = readlink_in(rootfd, o ? out : ".", name, link, sizeof(link));
			if (r >= 0) {
				if (++links > MAX_LINKS) {
					errno = ELOOP;
					return -1;
				}
				if (link[0] == '/') {
					o = 0;
					out[0] = '\0';
				}
				if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", link, rest) >= sizeof(tmp)) {
					errno = ENAMETOOLONG;
					return -1;
				}
				memcpy(todo, tmp, strlen(tmp) + 1);
				p = todo;
				continue;
			}
			/* Not a link (EINVAL), or not there: beyond a missing
			 * name nothing exists, so nothing more is read. */
			missing = errno == ENOENT || errno == ENOTDIR;
			if (!missing && errno != EINVAL)
				return -1;
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, name, l + 1);
		o += l;
		p = rest;
	}
	return 0;
}

/* create_in makes the missing components of rel (no symlinks on its way)
 * one by one; t->fd is the last. */
static int create_in(int rootfd, const char *rel, int file, struct target *t, struct rerr *e)
{
	char prefix[PATH_MAX];
	const char *p = rel;
	int cur = dup(rootfd);

	if (cur < 0) {
		rerr_set(e, errno, "dup the rootfs");
		return -1;
	}
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t pl = (size_t)(end - rel);
		char name[NAME_MAX + 1];
		int next;

		if ((size_t)(end - p) > NAME_MAX || pl >= sizeof(prefix)) {
			close(cur);
			rerr_set(e, ENAMETOOLONG, "create /%s", rel);
			return -1;
		}
		memcpy(prefix, rel, pl);
		prefix[pl] = '\0';
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		next = open_in(rootfd, prefix);
		if (next < 0 && errno == ENOENT) {
			int r;
			if (!*end && file) {
				r = openat(cur, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(cur, name, 0755);
			}
			if (r < 0 && errno != EEXIST) {
				rerr_set(e, errno, "create /%s", prefix);
				close(cur);
				return -1;
			}
			next = open_in(rootfd, prefix);
			if (next < 0 && errno == ENOENT) {
				/* The name exists but does not resolve. */
				rerr_set(e, 0, "resolve /%s: dangling symlink", prefix);
				close(cur);
				return -1;
			}
		}
		close(cur);
		if (next < 0) {
			rerr_set(e, errno, "resolve /%s", prefix);
			return -1;
		}
		cur = next;
		p = *end ? end + 1 : end;
	}
	t->fd = cur;
	return 0;
}

int ensure_in(int rootfd, const char *dest, int file, struct target *t, struct rerr *e)
{
	char rel[PATH_MAX], resolved[PATH_MAX];

	t->fd = -1;
	t->rootfd = rootfd;
	t->rel[0] = '\0';
	/* t->path is reopened (target_reopen): it must be whole. */
	if ((size_t)snprintf(t->path, sizeof(t->path), "%s", dest) >= sizeof(t->path) ||
	    clean_rel(dest, rel, sizeof(rel)) < 0) {
		rerr_set(e, ENAMETOOLONG, "resolve %s", dest);
		return -1;
	}
	if (!rel[0]) {
		t->fd = dup(rootfd);
		if (t->fd < 0)
			rerr_set(e, errno, "dup the rootfs");
		return t->fd < 0 ? -1 : 0;
	}
	t->fd = open_in(rootfd, rel);
	if (t->fd >= 0)
		return 0;
	if (errno != ENOENT) {
		rerr_set(e, errno, "resolve %s", dest);
		return -1;
	}
	if (follow_links(rootfd, rel, resolved, sizeof(resolved)) < 0) {
		rerr_set(e, errno, "resolve %s", dest);
		return -1;
	}
	if (!resolved[0]) {
		rerr_set(e, 0, "resolve %s: its symlinks lead to the rootfs itself", dest);
		return -1;
	}
	if (strcmp(resolved, rel)) {
		snprintf(t->rel, sizeof(t->rel), "%s", resolved);
		t->fd = open_in(rootfd, resolved);
		if (t->fd >= 0)
			return 0;
	}
	return create_in(rootfd, resolved, file, t, e);
}

/* file_kind names a file type for an error message (fileKind). */
const char *file_kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFLNK:
		return "symlink";
	case S_IFREG:
		return "regular file";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "directory";
}

int ordinary_dir_in(int rootfd, const char *dest, const char *fstype, struct target *t, struct rerr *e)
{
	char rel[PATH_MAX], dir[PATH_MAX];
	const char *name;
	struct target parent;
	struct stat st;
	int how = O_PATH | O_NOFOLLOW | O_CLOEXEC, fd;

	if (strlen(dest) >= sizeof(t->path) || clean_rel(dest, rel, sizeof(rel)) < 0) {
		rerr_set(e, ENAMETOOLONG, "resolve %s", dest);
		return -1;
	}
	if (!rel[0])
		return ensure_in(rootfd, dest, 0, t, e);
	name = strrchr(rel, '/');
	if (name) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(name - rel), rel);
		name++;
	} else {
		dir[0] = '\0';
		name = rel;
	}
	if (ensure_in(rootfd, dir, 0, &parent, e) < 0)
		return -1;
	fd = openat(parent.fd, name, how);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(parent.fd, name, 0755) < 0 && errno != EEXIST) {
			rerr_set(e, errno, "create %s", dest);
			target_close(&parent);
			return -1;
		}
		fd = openat(parent.fd, name, how);
	}
	target_close(&parent);
	if (fd < 0) {
		rerr_set(e, errno, "open %s", dest);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		rerr_set(e, errno, "stat %s", dest);
		close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		rerr_set(e, 0, "%s is a %s: filesystem \"%s\" must be mounted on ordinary directory", dest,
			 file_kind(st.st_mode), fstype);
		close(fd);
		return -1;
	}
	t->fd = fd;
	t->rootfd = rootfd;
	t->rel[0] = '\0';
	snprintf(t->path, sizeof(t->path), "%s", dest);
	return 0;
}
