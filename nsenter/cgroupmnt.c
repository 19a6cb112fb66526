/* A cgroup mount (compiled in rootfs/compile.go): the parent listed the host's
 * hierarchies; without a cgroup namespace each is a bind of init's own
 * cgroup directory, which init reads from /proc/self/cgroup (the parent
 * placed it there before the plan runs), so the container never sees the
 * host's tree. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "berth.h"

/* own_cgroup finds the path of hierarchy key in /proc/self/cgroup. */
static int own_cgroup(const char *key, char *out, size_t n)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b;
		if (!a || !(b = strchr(a + 1, ':')))
			continue;
		*b = '\0';
		if (strcmp(a + 1, key))
			continue;
		b[strcspn(b + 1, "\n") + 1] = '\0';
		snprintf(out, n, "%s", b + 1);
		found = 1;
	}
	fclose(f);
	return found ? 0 : 1;
}

/* cgroup_bind_source is filepath.Join(mp, filepath.Rel(root, own)), mp
 * itself when own is not under root (or unknown). own is cleaned first, as
 * Rel cleans it: in a cgroup namespace, a cgroup outside the namespace's
 * root reads "/../x", whose ".." must not climb out of mp (to /sys/fs/x,
 * or further up the host's tree). 0, or -1 with ENAMETOOLONG. */
int cgroup_bind_source(const char *mp, const char *root, const char *own, char *out, size_t n)
{
	char croot[PATH_MAX], cown[PATH_MAX], joined[PATH_MAX * 2], clean[PATH_MAX];
	const char *rel = "";
	size_t rl;

	/* Rel refuses a relative path beside an absolute root. */
	if (own && own[0] == '/') {
		if (clean_rel(root, croot, sizeof(croot)) < 0 || clean_rel(own, cown, sizeof(cown)) < 0)
			return -1;
		rl = strlen(croot);
		if (rl == 0)
			rel = cown;
		else if (!strncmp(cown, croot, rl) && (cown[rl] == '/' || cown[rl] == '\0'))
			rel = cown + rl;
	}
	if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", mp, rel) >= sizeof(joined) ||
	    clean_rel(joined, clean, sizeof(clean)) < 0 || (size_t)snprintf(out, n, "/%s", clean) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void mount_hierarchy(struct step *s, struct target *t, const char **h, int cgns, unsigned long flags)
{
	const char *fstype = h[0], *key = h[1], *mp = h[2], *root = h[3];
	char p[64], own[PATH_MAX], src[PATH_MAX];
	struct rerr e;
	int r;

	target_proc(t, p, sizeof(p));
	if (cgns) {
		if (mount("cgroup", p, fstype, flags, key) < 0)
			step_fail(s, errno, "mount %s on %s", fstype, t->path);
		return;
	}
	r = own_cgroup(key, own, sizeof(own));
	if (r < 0)
		step_fail(s, errno, "open /proc/self/cgroup");
	if (cgroup_bind_source(mp, root, r == 0 ? own : NULL, src, sizeof(src)) < 0)
		step_fail(s, errno, "bind mount source of %s: resolve %s", t->path, mp);
	if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		step_fail(s, errno, "bind mount %s on %s", src, t->path);
	if (target_reopen(t, &e) < 0)
		rootfs_fail(s, &e, NULL);
	target_proc(t, p, sizeof(p));
	if (mount("", p, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
		step_fail(s, errno, "remount %s", t->path);
}

void do_cgroup_mount(struct step *s, struct rstep *r)
{
	unsigned long flags = (unsigned long)r->u[1];
	int cgns = r->u[2] != 0, whole = r->u[3] != 0;
	const char *dest = r->str[0];
	char p[64], sub[PATH_MAX], cl[PATH_MAX - 2];
	struct target t, st;
	struct rerr e;
	uint64_t i;

	if (ensure_in(root_fd(), dest, 0, &t, &e) < 0)
		rootfs_fail(s, &e, "mount destination");
	if (whole && r->n == 1) {
		mount_hierarchy(s, &t, r->list, cgns, flags);
	} else {
		target_proc(&t, p, sizeof(p));
		if (mount("tmpfs", p, "tmpfs", flags & ~(unsigned long)MS_RDONLY, "mode=755") < 0)
			step_fail(s, errno, "mount tmpfs on %s", dest);
		if (target_reopen(&t, &e) < 0)
			rootfs_fail(s, &e, NULL);
		for (i = 0; i < r->n; i++) {
			const char **h = r->list + i * 5;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dest, h[4]) >= sizeof(sub))
				step_fail(s, ENAMETOOLONG, "resolve %s/%s", dest, h[4]);
			if (ensure_in(root_fd(), sub, 0, &st, &e) < 0)
				rootfs_fail(s, &e, NULL);
			/* The path as filepath.Join spells it, for errors (it
			 * fits: ensure_in cleaned it into as much room). */
			if (clean_rel(sub, cl, sizeof(cl)) < 0)
				step_fail(s, errno, "resolve %s", sub);
			snprintf(st.path, sizeof(st.path), "/%s", cl);
			mount_hierarchy(s, &st, h, cgns, flags);
			target_close(&st);
		}
		if (flags & MS_RDONLY) {
			target_proc(&t, p, sizeof(p));
			if (mount("", p, NULL, MS_REMOUNT | flags, "mode=755") < 0)
				step_fail(s, errno, "remount read-only %s", dest);
		}
	}
	if (finish_mount(&t, r, &e) < 0)
		rootfs_fail(s, &e, NULL);
	target_close(&t);
}
