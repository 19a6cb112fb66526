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

/* exec.c: runs the plan read from fd (an exec's, or with create set a
 * container's init, create.c's steps allowed); never returns. */
void run_plan(int fd, int create) __attribute__((noreturn));
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

/* env_add appends an entry to the environment the process gets. */
void env_add(const struct step *s, char *kv);

/* create.c: the steps only create's init runs (ops 26-49). */
/* create_step runs s if it is one and returns 1, else returns 0. */
int create_step(struct step *s);
/* late_fail reports a failure after ready of a create plan, when the
 * parent is gone: to start through exec.fifo once start has opened it
 * (text, with errno for start to word as Go does), else on stderr, and
 * exits; returns if the plan is not past ready. */
void late_fail(const char *field, const char *text, int err);
/* go_strerror words err as Go does, into buf, for messages the parent
 * cannot word (it is gone after ready). */
const char *go_strerror(int err, char *buf, size_t n);
/* create_ready: the create plan's ready was sent (the parent closed the
 * sync socket and is gone). */
void create_ready(void);

/* hooks.c: runs an OP_HOOKS step. */
void do_hooks(struct step *s);
/* start_fifo: exec.fifo opened for writing once start came, else -1. */
extern int start_fifo;

/* rootfs.c: runs s if it is a rootfs step (ops 50-99) and returns 1,
 * else returns 0. */
int rootfs_step(struct step *s);

#endif
