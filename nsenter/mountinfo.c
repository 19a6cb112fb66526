/* The mount table of the stage's own mount namespace, read at the step that
 * needs it: the namespace is the container's (new, or joined with a path,
 * which the parent's mount table says nothing about), and mounts can reach
 * it by propagation after the parent compiled the plan. Used for the mounts
 * --no-pivot hides (pivot.c), the mount a shared root's parent is made
 * private on (mount.c) and the cgroup hierarchies (cgroupmnt.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"

/* unescape undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* parse_line splits line (owned by m) into m's fields: ID PARENT MAJ:MIN
 * ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS. */
static int parse_line(char *line, struct mnt *m)
{
	char *f[6], *p = line, *t;
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < 6; i++)
		if (!(f[i] = strsep(&p, " ")) || !p)
			return -1;
	while ((t = strsep(&p, " ")) && strcmp(t, "-"))
		;
	if (!t || !(m->fstype = strsep(&p, " ")) || !strsep(&p, " ") || !(m->super = strsep(&p, " ")))
		return -1;
	m->line = line;
	m->root = f[3];
	m->mp = f[4];
	unescape(m->root);
	unescape(m->mp);
	return 0;
}

void mountinfo_free(struct mnt *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].line);
	free(m);
}

int mountinfo_read(struct mnt **out, size_t *n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct mnt *m = NULL, *grown;
	size_t len = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	int err = 0;

	if (!f)
		return -1;
	while (getline(&line, &lcap, f) > 0) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(grown = realloc(m, cap * sizeof(*m)))) {
				err = ENOMEM;
				break;
			}
			m = grown;
		}
		if (parse_line(line, &m[len]) < 0) {
			err = EINVAL; /* not the kernel's format */
			break;
		}
		len++;
		line = NULL; /* m[len-1] owns it */
		lcap = 0;
	}
	if (!err && ferror(f))
		err = errno ? errno : EIO;
	free(line);
	fclose(f);
	if (err) {
		mountinfo_free(m, len);
		errno = err;
		return -1;
	}
	*out = m;
	*n = len;
	return 0;
}

int path_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	while (l > 0 && dir[l - 1] == '/')
		l--;
	return !strncmp(path, dir, l) && (path[l] == '/' || (path[l] == '\0' && l > 0));
}

int mount_point_of(const char *path, char *out, size_t n)
{
	struct mnt *m;
	size_t len, i;
	const char *best = "/";

	if (mountinfo_read(&m, &len) < 0)
		return -1;
	for (i = 0; i < len; i++)
		if (path_under(path, m[i].mp) && strlen(m[i].mp) > strlen(best))
			best = m[i].mp;
	snprintf(out, n, "%s", best);
	mountinfo_free(m, len);
	return 0;
}
