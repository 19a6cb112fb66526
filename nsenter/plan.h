/*
 * The plan: a flat, typed list of steps compiled by the parent (Go,
 * libcontainer/plan, whose package comment describes the format) and run
 * by this stage. The op numbers are the Go package's; its test
 * TestOpsMatchC reads this file to keep the two lists equal.
 */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC "BPL1"
#define PLAN_MAX_SIZE (16 << 20)

enum plan_op {
	OP_SETSID = 1,
	OP_CONSOLE = 2,
	OP_ENV = 4,
	OP_HOME = 5,
	OP_ARGS = 6,
	OP_LOOK_PATH = 7,
	OP_PERSONALITY = 8,
	OP_SCHEDULER = 9,
	OP_IOPRIO = 10,
	OP_AFFINITY = 11,
	OP_MEM_POLICY = 12,
	OP_CAP_BOUNDING = 13,
	OP_CWD = 14,
	OP_USER = 15,
	OP_CAPS = 16,
	OP_NO_NEW_PRIVS = 17,
	OP_UMASK = 18,
	OP_CLOSE_FDS = 19,
	OP_SECCOMP = 20,
	OP_READY = 21,
	OP_RLIMIT = 22,
	OP_EXEC_LABEL = 23,
	OP_DROP_KEPT = 24,
	OP_EXECVE = 25,
	/* create only (create.c, hooks.c) */
	OP_KEYRING = 26,
	OP_HOOKS_SYNC = 27,
	OP_HOOKS = 28,
	OP_HOSTNAME = 29,
	OP_DOMAINNAME = 30,
	OP_LOOPBACK = 31,
	OP_SYSCTL = 32,
	OP_REOPEN_DEV_NULL = 33,
	OP_LISTEN_PID = 34,
	OP_FIFO_WAIT = 35,
	OP_FIFO_OK = 36,
	/* rootfs (rootfs.c and the files it dispatches to) */
	OP_ROOT_BIND = 50,
	OP_MOUNT = 51,
	OP_CGROUP_MOUNT = 52,
	OP_DEVICE = 53,
	OP_DEV_LINKS = 54,
	OP_ENTER = 55,
	OP_MKDIR_CWD = 56,
	OP_DEV_READONLY = 57,
	OP_ROOT_READONLY = 58,
	OP_READONLY_PATH = 59,
	OP_MASK_PATH = 60,
	OP_ROOTFS_DONE = 61,
};

/* Kinds and how bits of OP_MOUNT, modes of OP_ENTER (plan/ops.go). */
#define MOUNT_FS 1
#define MOUNT_BIND 2
#define MOUNT_IDMAP 3
#define MOUNT_TMPCOPYUP 4
#define HOW_INHERIT_MODE 1
#define HOW_ORDINARY_DIR 2
#define HOW_ASK_SOURCE 4
#define HOW_USERNS 8
#define HOW_KEEP_RW 16
#define HOW_BIND_SOURCE 32
#define ENTER_PIVOT 0
#define ENTER_NO_PIVOT 1
#define ENTER_CHROOT 2

#define LABEL_APPARMOR 1
#define LABEL_SELINUX 2

/* A plan in memory and the position of the next step. */
struct plan {
	const unsigned char *buf;
	size_t len, off;
};

/* One step: its op, the config field it comes from (NUL-terminated, a
 * copy), and a cursor over its items. */
struct step {
	unsigned op;
	char field[256];
	const unsigned char *data;
	size_t len, off;
};

/* plan_read reads a whole plan from fd (to EOF); -1 with errno, or a
 * message in *why, on failure. */
int plan_read(int fd, struct plan *p, const char **why);
/* plan_next decodes the next step: 1 if there is one, 0 at the end, -1
 * (with *why) on a malformed plan. */
int plan_next(struct plan *p, struct step *s, const char **why);
/* The item getters check the tag and bounds; -1 if the item is missing or
 * of another type. Strings point into the plan, NUL-terminated. */
int step_u64(struct step *s, uint64_t *v);
int step_str(struct step *s, const char **v);
int step_bytes(struct step *s, const unsigned char **v, size_t *n);
/* step_done: every item was consumed. */
int step_done(const struct step *s);

#endif
