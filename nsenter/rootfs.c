/* The rootfs steps of a create plan (ops 50-99 of plan.h): mounts, /dev,
 * pivot_root, readonly and masked paths. Each step is decoded whole
 * (rootfs_parse) before any of it runs, so a malformed step does nothing;
 * the work is in one file a concern (resolve.c, mount.c, cgroupmnt.c,
 * copyup.c, dev.c, pivot.c, paths.c, mountsrc.c, mountinfo.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"

int rootfs_fd = -1;
/* after_enter: OP_ENTER ran; root_fd is then "/", opened once. */
static int after_enter, new_root = -1;

int root_fd(void)
{
	if (!after_enter)
		return rootfs_fd;
	if (new_root < 0)
		new_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return new_root;
}

void rootfs_fail(const struct step *s, const struct rerr *e, const char *what)
{
	if (what && *what)
		step_fail(s, e->err, "%s: %s", what, e->msg);
	step_fail(s, e->err, "%s", e->msg);
}

/* The shape of each op: how many integers, strings, then what follows. */
enum tail { T_NONE, T_FINISH, T_LIST };
struct shape {
	unsigned op;
	int nu, ns;
	enum tail tail;
	int per; /* strings a list entry */
	int nu2; /* integers after the strings, before the tail */
};

static const struct shape shapes[] = {
	{OP_ROOT_BIND, 2, 1, T_NONE, 0, 0},
	{OP_MOUNT, 5, 5, T_FINISH, 0, 0},
	/* index, flags, cgns; dest (the hierarchies are read at run time). */
	{OP_CGROUP_MOUNT, 3, 1, T_FINISH, 0, 0},
	{OP_DEVICE, 7, 1, T_NONE, 0, 0},
	{OP_DEV_LINKS, 0, 0, T_LIST, 2, 0},
	/* mode; rootfs; propagation (the mounts to hide are read at run
	 * time). */
	{OP_ENTER, 1, 1, T_NONE, 0, 1},
	{OP_MKDIR_CWD, 0, 1, T_NONE, 0, 0},
	{OP_DEV_READONLY, 0, 0, T_NONE, 0, 0},
	{OP_ROOT_READONLY, 1, 0, T_NONE, 0, 0},
	{OP_READONLY_PATH, 0, 1, T_NONE, 0, 0},
	{OP_MASK_PATH, 0, 1, T_NONE, 0, 0},
	{OP_ROOTFS_DONE, 0, 0, T_NONE, 0, 0},
};

void rstep_free(struct rstep *r)
{
	free(r->list);
	free(r->prop);
	r->list = NULL;
	r->prop = NULL;
}

static int parse_list(struct step *s, struct rstep *r, int per)
{
	uint64_t i, k;

	if (step_u64(s, &r->n) < 0 || r->n > s->len / 6 / (uint64_t)per)
		return -1; /* an entry takes at least 6 bytes: no huge calloc */
	r->list = calloc(r->n * (uint64_t)per + 1, sizeof(char *));
	if (!r->list)
		return -1;
	for (i = 0; i < r->n; i++)
		for (k = 0; k < (uint64_t)per; k++)
			if (step_str(s, &r->list[i * (uint64_t)per + k]) < 0)
				return -1;
	return 0;
}

static int parse_finish(struct step *s, struct rstep *r)
{
	uint64_t i;

	if (step_u64(s, &r->nprop) < 0 || r->nprop > s->len / 9)
		return -1;
	r->prop = calloc(r->nprop + 1, sizeof(uint64_t));
	if (!r->prop)
		return -1;
	for (i = 0; i < r->nprop; i++)
		if (step_u64(s, &r->prop[i]) < 0)
			return -1;
	return step_u64(s, &r->attr_set) < 0 || step_u64(s, &r->attr_clr) < 0 ? -1 : 0;
}

int rootfs_parse(struct step *s, struct rstep *r)
{
	const struct shape *sh = NULL;
	size_t i;
	int k;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (shapes[i].op == s->op)
			sh = &shapes[i];
	if (!sh)
		return -1;
	for (k = 0; k < sh->nu; k++)
		if (step_u64(s, &r->u[k]) < 0)
			return -1;
	for (k = 0; k < sh->ns; k++)
		if (step_str(s, &r->str[k]) < 0)
			return -1;
	for (k = 0; k < sh->nu2; k++)
		if (step_u64(s, &r->u[sh->nu + k]) < 0)
			return -1;
	switch (sh->tail) {
	case T_NONE:
		break;
	case T_FINISH:
		if (parse_finish(s, r) < 0)
			return -1;
		break;
	case T_LIST:
		if (parse_list(s, r, sh->per) < 0)
			return -1;
		break;
	}
	return step_done(s) ? 0 : -1;
}

int rootfs_step(struct step *s)
{
	struct rstep r;

	if (s->op < 50 || s->op > 99)
		return 0;
	if (rootfs_parse(s, &r) < 0) {
		rstep_free(&r);
		bad_step(s);
	}
	switch (s->op) {
	case OP_ROOT_BIND:
		do_root_bind(s, &r);
		break;
	case OP_MOUNT:
		do_mount(s, &r);
		break;
	case OP_CGROUP_MOUNT:
		do_cgroup_mount(s, &r);
		break;
	case OP_DEVICE:
		do_device(s, &r);
		break;
	case OP_DEV_LINKS:
		do_dev_links(s, &r);
		break;
	case OP_ENTER:
		do_enter(s, &r);
		after_enter = 1;
		break;
	case OP_MKDIR_CWD:
		do_mkdir_cwd(s, &r);
		break;
	case OP_DEV_READONLY:
		do_dev_readonly(s, &r);
		break;
	case OP_ROOT_READONLY:
		do_root_readonly(s, &r);
		break;
	case OP_READONLY_PATH:
		do_readonly_path(s, &r);
		break;
	case OP_MASK_PATH:
		do_mask_path(s, &r);
		break;
	case OP_ROOTFS_DONE:
		masks_done();
		if (new_root >= 0)
			close(new_root);
		new_root = -1;
		break;
	}
	rstep_free(&r);
	debugf("rootfs: %s: op %u done", s->field, s->op);
	return 1;
}
