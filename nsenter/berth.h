/* Shared declarations of berth's C stage (see README.md). */
#ifndef BERTH_NSENTER_H
#define BERTH_NSENTER_H

#include <stddef.h>
#include <stdint.h>

/* msg.c: the sync socket and the log pipe. */
extern int sync_fd;
extern int log_fd;
void json_escape(char *out, size_t n, const char *s);
void debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void send_msg(const char *msg);
int send_fd_msg(const char *msg, int fd);
int wait_reply(const char *type);
void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void send_warning(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* plan.c: the plan the parent compiled (libcontainer/plan). */
#include "plan.h"

/* exec.c: runs an exec plan read from fd; never returns. */
void run_exec_plan(int fd) __attribute__((noreturn));
/* step_fail reports the failure of a step to the parent, named by its
 * config field, with err (0: none) for the parent to word as Go does, and
 * exits. */
void step_fail(const struct step *s, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
/* bad_step: an item of the step is missing or of the wrong type. */
void bad_step(const struct step *s) __attribute__((noreturn));
/* need_u64, need_str, need_done: the next item, or the end of the step,
 * as step_u64/step_str/step_done, but a malformed step is fatal (bad_step). */
uint64_t need_u64(struct step *s);
const char *need_str(struct step *s);
void need_done(struct step *s);

/* attrs.c: process attributes, one function a step. */
void do_oom_score_adj(struct step *s);
void do_personality(struct step *s);
void do_scheduler(struct step *s);
void do_ioprio(struct step *s);
void do_affinity(struct step *s);
void do_mem_policy(struct step *s);
void do_user(struct step *s);
void do_umask(struct step *s);
void do_no_new_privs(struct step *s);
void do_rlimit(struct step *s);
void do_exec_label(struct step *s);

/* caps.c: the capability sets. */
void do_cap_bounding(struct step *s);
void do_caps(struct step *s);
void do_drop_kept(struct step *s);

/* rootfs.c: runs s if it is a rootfs step (ops 50-99) and returns 1,
 * else returns 0. */
int rootfs_step(struct step *s);

#endif
