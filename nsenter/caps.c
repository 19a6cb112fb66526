/* The capability sets of an exec plan, as bit masks the parent resolved
 * (capabilities.Masks): the bounding set is dropped while the process is
 * still root, the other sets applied after the user switch, with what the
 * last steps need kept on top until do_drop_kept, right before execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "berth.h"

/* The sets as applied by do_caps, and what it kept beyond them. */
static uint64_t cur_eff, cur_perm, cur_inh, kept;

static int capset3(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int capget_permitted(uint64_t *perm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	*perm = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

void do_cap_bounding(struct step *s)
{
	uint64_t mask = need_u64(s), last = need_u64(s), c;

	if (!step_done(s) || last > 63)
		bad_step(s);
	for (c = 0; c <= last; c++) {
		if (mask & (1ULL << c))
			continue;
		/* EINVAL: a capability this kernel lacks, nothing to drop. */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
			step_fail(s, errno, "drop capability %llu from the bounding set", (unsigned long long)c);
	}
}

void do_caps(struct step *s)
{
	uint64_t keep, have, n, i, num;
	const char *name;
	struct step amb;

	cur_eff = need_u64(s);
	cur_perm = need_u64(s);
	cur_inh = need_u64(s);
	keep = need_u64(s);
	n = need_u64(s);
	/* The ambient list is walked twice: checked now, raised below. */
	amb = *s;
	for (i = 0; i < n; i++)
		if (step_u64(s, &num) < 0 || step_str(s, &name) < 0 || num > 63)
			bad_step(s);
	if (!step_done(s))
		bad_step(s);
	/* Only what the process has now can be kept (the host may lack it). */
	if (capget_permitted(&have) < 0)
		step_fail(s, errno, "capget");
	kept = keep & have & ~cur_perm;
	if (capset3(cur_eff | kept, cur_perm | kept, cur_inh) < 0)
		step_fail(s, errno, "apply capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		step_fail(s, errno, "clear ambient capabilities");
	/* The kernel refuses an ambient capability that is not permitted and
	 * inheritable; runtime-spec asks for a warning, not a failure. */
	for (i = 0; i < n; i++) {
		step_u64(&amb, &num);
		step_str(&amb, &name);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)num, 0, 0) < 0)
			send_warning(errno, "process.capabilities.ambient: cannot raise %s", name);
	}
}

void do_drop_kept(struct step *s)
{
	if (!step_done(s))
		bad_step(s);
	if (!kept)
		return;
	if (capset3(cur_eff, cur_perm, cur_inh) < 0)
		step_fail(s, errno, "drop capabilities kept for set-up");
	kept = 0;
}
