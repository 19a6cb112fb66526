/* Process attributes of an exec plan: each function runs one step with the
 * values the parent resolved (libcontainer/exec_plan.go) and names the
 * step's config field when it fails. Order is the plan's, not ours. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

void do_personality(struct step *s)
{
	uint64_t v = need_u64(s);

	need_done(s);
	if (syscall(SYS_personality, (unsigned long)v) < 0)
		step_fail(s, errno, "personality %#llx", (unsigned long long)v);
}

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1. */
struct sched_attr_v1 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

void do_scheduler(struct step *s)
{
	struct sched_attr_v1 a;
	uint64_t limited;
	const char *name;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = (uint32_t)need_u64(s);
	a.flags = need_u64(s);
	a.nice = (int32_t)(int64_t)need_u64(s);
	a.priority = (uint32_t)need_u64(s);
	a.runtime = need_u64(s);
	a.deadline = need_u64(s);
	a.period = need_u64(s);
	limited = need_u64(s);
	name = need_str(s);
	need_done(s);
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) {
		if (errno == EPERM && limited)
			/* SCHED_DEADLINE needs every CPU of the root domain;
			 * runc's words, which clients match. */
			step_fail(s, errno, "(%s): process scheduler can't be used together with AllowedCPUs", name);
		step_fail(s, errno, "(%s)", name);
	}
}

void do_ioprio(struct step *s)
{
	uint64_t prio = need_u64(s);
	const char *desc = need_str(s);

	need_done(s);
	/* ioprio_set(IOPRIO_WHO_PROCESS, 0, class<<13 | level) */
	if (syscall(SYS_ioprio_set, 1, 0, (int)prio) < 0)
		step_fail(s, errno, "(%s)", desc);
}

void do_affinity(struct step *s)
{
	uint64_t mask[16], n, i;
	const char *cpus = need_str(s);

	n = need_u64(s);
	if (n > 16)
		bad_step(s);
	memset(mask, 0, sizeof(mask));
	for (i = 0; i < n; i++)
		mask[i] = need_u64(s);
	need_done(s);
	if (sched_setaffinity(0, sizeof(mask), (cpu_set_t *)mask) < 0)
		step_fail(s, errno, "%s", cpus);
}

/* The nodemask of set_mempolicy: the kernel's MAX_NUMNODES bits. */
#define NODEMASK_WORDS 16

void do_mem_policy(struct step *s)
{
	uint64_t mask[NODEMASK_WORDS], n, i, mode = need_u64(s);
	const char *desc = need_str(s);
	long r;

	n = need_u64(s);
	if (n > NODEMASK_WORDS)
		bad_step(s);
	memset(mask, 0, sizeof(mask));
	for (i = 0; i < n; i++)
		mask[i] = need_u64(s);
	need_done(s);
	/* maxnode counts one more than the bits the kernel reads (it
	 * decrements it first, mm/mempolicy.c get_nodes). */
	do {
		r = syscall(SYS_set_mempolicy, (int)mode, mask, NODEMASK_WORDS * 64 + 1);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EINVAL)
		step_fail(s, errno, "set_mempolicy %s: (nodes not online or not in the container's cpuset mems, or a mode or flag this kernel lacks)", desc);
	if (r < 0)
		step_fail(s, errno, "set_mempolicy %s", desc);
}

#define MAX_GROUPS 65536

/* do_user switches to process.user, keeping the capabilities the
 * capability step then sets to exactly the configured ones. */
void do_user(struct step *s)
{
	uint64_t uid = need_u64(s), gid = need_u64(s), n = need_u64(s), i;
	gid_t *groups = NULL;

	if (n > MAX_GROUPS)
		bad_step(s);
	if (n) {
		groups = calloc(n, sizeof(gid_t));
		if (!groups)
			step_fail(s, errno, "additionalGids");
	}
	for (i = 0; i < n; i++)
		groups[i] = (gid_t)need_u64(s);
	need_done(s);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		step_fail(s, errno, "prctl PR_SET_KEEPCAPS");
	/* setgroups is denied in a user namespace whose setgroups file says
	 * deny; then only a non-empty request is an error worth reporting. */
	if (setgroups(n, groups) < 0 && (n > 0 || errno != EPERM))
		step_fail(s, errno, "setgroups (%llu additional gids)", (unsigned long long)n);
	free(groups);
	/* Raw system calls: glibc's wrappers would signal other threads,
	 * and there are none. */
	if (syscall(SYS_setresgid, (gid_t)gid, (gid_t)gid, (gid_t)gid) < 0)
		step_fail(s, errno, "setgid %llu", (unsigned long long)gid);
	if (syscall(SYS_setresuid, (uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		step_fail(s, errno, "setuid %llu", (unsigned long long)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		step_fail(s, errno, "prctl PR_SET_KEEPCAPS");
}

void do_umask(struct step *s)
{
	uint64_t m = need_u64(s);

	need_done(s);
	umask((mode_t)(m & 07777));
}

void do_no_new_privs(struct step *s)
{
	need_done(s);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		step_fail(s, errno, "prctl PR_SET_NO_NEW_PRIVS");
}

void do_rlimit(struct step *s)
{
	uint64_t res = need_u64(s), soft = need_u64(s), hard = need_u64(s);
	const char *name = need_str(s);
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};

	need_done(s);
	if (setrlimit((int)res, &rl) < 0)
		step_fail(s, errno, "setrlimit %s (soft %llu, hard %llu)", name, (unsigned long long)soft,
			  (unsigned long long)hard);
}

/* do_exec_label asks the security module to switch the process to its
 * profile or label at execve (attr/exec applies on the next exec only). */
void do_exec_label(struct step *s)
{
	uint64_t kind = need_u64(s);
	const char *val = need_str(s);
	const char *path = "attr/exec";
	char *buf = NULL;
	struct rerr e;
	ssize_t n;
	int fd = -1;

	need_done(s);
	if (kind == LABEL_APPARMOR) {
		/* The stacking kernels' own file, else the shared one. */
		fd = proc_attr_open(1, "exec", O_WRONLY, &e);
		if (fd >= 0)
			path = "attr/apparmor/exec";
		if (asprintf(&buf, "exec %s", val) < 0)
			step_fail(s, ENOMEM, "%s", val);
		val = buf;
	} else if (kind != LABEL_SELINUX) {
		bad_step(s);
	}
	/* Our own attr/ of the procfs handle: a plain file the image put at
	 * /proc/thread-self/attr/exec would take the label and change nothing. */
	if (fd < 0)
		fd = proc_attr_open(0, "exec", O_WRONLY, &e);
	if (fd < 0)
		step_fail(s, e.err, "%s: %s", val, e.msg);
	n = write(fd, val, strlen(val));
	if (n < 0) {
		int saved = errno;
		close(fd);
		step_fail(s, saved, "%s: write %s", val, path);
	}
	close(fd);
	free(buf);
}
