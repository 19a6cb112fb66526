/* A cgroup mount (compiled in rootfs/compile.go): the hierarchies are those
 * mounted under /sys/fs/cgroup in the container's mount namespace, read
 * here (a joined namespace has its own); without a cgroup namespace each is
 * a bind of init's own cgroup directory, which init reads from
 * /proc/self/cgroup (the parent placed it there before the plan runs), so
 * the container never sees the host's tree. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "berth.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* hier: a cgroup hierarchy mounted under /sys/fs/cgroup, its strings in the
 * mount table's entry; key is what /proc/self/cgroup names it by (a v1
 * hierarchy's controllers, "" for cgroup2), name the directory it gets
 * under the container's cgroup tmpfs. */
struct hier {
	const char *fstype, *key, *mp, *root, *name;
};

/* v1_key keeps, in place, the options of a v1 super block that name its
 * controllers, in the kernel's order (which is /proc/self/cgroup's). */
static char *v1_key(char *super)
{
	char *in = super, *out = super, *o;

	while ((o = strsep(&in, ","))) {
		if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strcmp(o, "xattr") || !strcmp(o, "clone_children") ||
		    !strcmp(o, "noprefix") || !strncmp(o, "release_agent=", 14))
			continue;
		if (out != super)
			*out++ = ',';
		memmove(out, o, strlen(o));
		out += strlen(o);
	}
	*out = '\0';
	return super;
}

/* hierarchies fills h (room for n) from the mount table: the count; whole
 * says it is one cgroup2 at /sys/fs/cgroup itself (the unified layout),
 * else each is a directory of /sys/fs/cgroup (nested ones are left out). */
static size_t hierarchies(struct mnt *m, size_t n, struct hier *h, int *whole)
{
	size_t i, all = 0, nh = 0;

	for (i = 0; i < n; i++) {
		if ((strcmp(m[i].fstype, "cgroup") && strcmp(m[i].fstype, "cgroup2")) ||
		    strncmp(m[i].mp, CGROUP_ROOT, strlen(CGROUP_ROOT)))
			continue;
		all++;
		h[nh] = (struct hier){m[i].fstype, "", m[i].mp, m[i].root, ""};
		if (!strcmp(m[i].fstype, "cgroup"))
			h[nh].key = v1_key(m[i].super);
		nh++;
	}
	*whole = all == 1 && !strcmp(h[0].fstype, "cgroup2") && !strcmp(h[0].mp, CGROUP_ROOT);
	if (*whole)
		return 1;
	for (i = nh = 0; i < all; i++) {
		const char *name = h[i].mp + strlen(CGROUP_ROOT);
		if (*name != '/' || !name[1] || strchr(name + 1, '/'))
			continue;
		h[nh] = h[i];
		h[nh++].name = name + 1;
	}
	return nh;
}

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

static void mount_hierarchy(struct step *s, struct target *t, const struct hier *h, int cgns, unsigned long flags)
{
	char p[64], own[PATH_MAX], src[PATH_MAX];
	struct rerr e;
	int r;

	target_proc(t, p, sizeof(p));
	if (cgns) {
		if (mount("cgroup", p, h->fstype, flags, h->key) < 0)
			step_fail(s, errno, "mount %s on %s", h->fstype, t->path);
		return;
	}
	r = own_cgroup(h->key, own, sizeof(own));
	if (r < 0)
		step_fail(s, errno, "open /proc/self/cgroup");
	if (cgroup_bind_source(h->mp, h->root, r == 0 ? own : NULL, src, sizeof(src)) < 0)
		step_fail(s, errno, "bind mount source of %s: resolve %s", t->path, h->mp);
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
	int cgns = r->u[2] != 0, whole;
	const char *dest = r->str[0];
	char p[64], sub[PATH_MAX], cl[PATH_MAX - 2];
	struct target t, st;
	struct hier *h;
	struct mnt *m;
	struct rerr e;
	size_t n, nh, i;

	if (mountinfo_read(&m, &n) < 0)
		step_fail(s, errno, "read /proc/self/mountinfo");
	h = calloc(n + 1, sizeof(*h));
	if (!h)
		step_fail(s, ENOMEM, "read /proc/self/mountinfo");
	nh = hierarchies(m, n, h, &whole);
	for (i = 0; i < nh; i++)
		debugf("rootfs: %s: hierarchy %s \"%s\" at %s, root %s", s->field, h[i].fstype, h[i].key, h[i].mp, h[i].root);
	if (ensure_in(root_fd(), dest, 0, &t, &e) < 0)
		rootfs_fail(s, &e, "mount destination");
	if (whole) {
		mount_hierarchy(s, &t, &h[0], cgns, flags);
	} else {
		target_proc(&t, p, sizeof(p));
		if (mount("tmpfs", p, "tmpfs", flags & ~(unsigned long)MS_RDONLY, "mode=755") < 0)
			step_fail(s, errno, "mount tmpfs on %s", dest);
		if (target_reopen(&t, &e) < 0)
			rootfs_fail(s, &e, NULL);
		for (i = 0; i < nh; i++) {
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dest, h[i].name) >= sizeof(sub))
				step_fail(s, ENAMETOOLONG, "resolve %s/%s", dest, h[i].name);
			if (ensure_in(root_fd(), sub, 0, &st, &e) < 0)
				rootfs_fail(s, &e, NULL);
			/* The path as filepath.Join spells it, for errors (it
			 * fits: ensure_in cleaned it into as much room). */
			if (clean_rel(sub, cl, sizeof(cl)) < 0)
				step_fail(s, errno, "resolve %s", sub);
			snprintf(st.path, sizeof(st.path), "/%s", cl);
			mount_hierarchy(s, &st, &h[i], cgns, flags);
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
	free(h);
	mountinfo_free(m, n);
}
