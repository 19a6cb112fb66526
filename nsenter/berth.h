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
/* send_msg: 0, or -1 with errno (the parent is gone: EPIPE). */
int send_msg(const char *msg);
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

/* console.c: OP_CONSOLE, process.terminal. */
void do_console(struct step *s);

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
/* create_signals: a container's init ends on SIGHUP, SIGINT, SIGQUIT and
 * SIGTERM until its execve, though it reaps a pid namespace. */
void create_signals(void);

/* hooks.c: runs an OP_HOOKS step. */
void do_hooks(struct step *s);
/* start_fifo: exec.fifo opened for writing once start came, else -1. */
extern int start_fifo;

/* rootfs.c: runs s if it is a rootfs step (ops 50-99) and returns 1,
 * else returns 0. */
int rootfs_step(struct step *s);

/* The rootfs steps, in files of their own (README.md, "create: the rootfs
 * steps"). */
#include <limits.h>
#include <sys/types.h>

/* rerr: what failed, for step_fail (err 0: msg says it all). */
struct rerr {
	int err;
	char msg[PATH_MAX + 256];
};
void rerr_set(struct rerr *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* rstep: a rootfs step decoded whole (rootfs.c), before any of it runs. */
struct rstep {
	uint64_t u[8];
	const char *str[6];
	uint64_t n;
	const char **list; /* n entries, or n * per-entry strings */
	uint64_t nprop;
	uint64_t *prop;
	uint64_t attr_set, attr_clr;
};
/* rootfs_parse decodes s into r: 0, or -1 if malformed (the fuzz driver
 * calls it alone). rstep_free frees what it allocated. */
int rootfs_parse(struct step *s, struct rstep *r);
void rstep_free(struct rstep *r);
/* The rootfs as an O_PATH fd: before OP_ENTER the bound rootfs, after it
 * the new "/". */
extern int rootfs_fd;
int root_fd(void);
/* rootfs_fail: step_fail with an rerr, prefixed by what was being done. */
void rootfs_fail(const struct step *s, const struct rerr *e, const char *what) __attribute__((noreturn));

/* resolve.c: a destination held open inside the rootfs. */
struct target {
	int fd, rootfd;
	char path[PATH_MAX]; /* as config.json names it */
	char rel[PATH_MAX];  /* where its dangling links led, or "" */
};
int open_in(int rootfd, const char *rel);
/* clean_rel: 0, or -1 with ENAMETOOLONG when the clean path does not fit. */
int clean_rel(const char *in, char *out, size_t n);
int ensure_in(int rootfd, const char *dest, int file, struct target *t, struct rerr *e);
int ordinary_dir_in(int rootfd, const char *dest, const char *fstype, struct target *t, struct rerr *e);
int target_reopen(struct target *t, struct rerr *e);
void target_proc(const struct target *t, char *buf, size_t n);
void target_close(struct target *t);
const char *file_kind(mode_t m);

/* mount_source: a mount's source as config.json names it (messages), and
 * what mount(2) is given: the same, or the path of the fd the parent
 * opened (fd >= 0) where the container's root cannot reach it. */
struct mount_source {
	const char *name, *path;
	int fd;
	char buf[32];
};
/* source_fail: step_fail naming src as configured, and the fd the runtime
 * opened for it if any. */
void source_fail(const struct step *s, const struct mount_source *src, int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* mount.c: OP_ROOT_BIND, OP_MOUNT. */
void do_root_bind(struct step *s, struct rstep *r);
void do_mount(struct step *s, struct rstep *r);
int finish_mount(struct target *t, const struct rstep *r, struct rerr *e);
int remount_bind(struct target *t, unsigned long flags, unsigned long cleared, int userns, struct rerr *e);
unsigned long locked_flags(const char *path);
/* cgroupmnt.c: OP_CGROUP_MOUNT. */
void do_cgroup_mount(struct step *s, struct rstep *r);
/* cgroup_bind_source: the host directory of cgroup own (NULL: unknown) in
 * the hierarchy mounted at mp with root root, as Go's filepath.Join(mp,
 * filepath.Rel(root, own)): 0, or -1 with ENAMETOOLONG. */
int cgroup_bind_source(const char *mp, const char *root, const char *own, char *out, size_t n);
/* copyup.c: a tmpfs over t holding a copy of what t held (kind
 * MOUNT_TMPCOPYUP of OP_MOUNT). */
void do_tmpcopyup(struct step *s, struct rstep *r, struct target *t, const struct mount_source *src, const char *data);
/* copytree.c: copies what is under the directory src into the directory
 * dst, through fds only. */
int copy_tree(int src, int dst, struct rerr *e);
/* dev.c: OP_DEVICE, OP_DEV_LINKS. */
void do_device(struct step *s, struct rstep *r);
void do_dev_links(struct step *s, struct rstep *r);
/* mountinfo.c: the stage's own mount table (/proc/self/mountinfo), the
 * octal escapes undone. */
struct mnt {
	char *line; /* owns the strings */
	char *root, *mp, *fstype, *super;
};
/* mountinfo_read: every mount, in the kernel's order: 0, or -1 with errno.
 * mountinfo_free frees what it returned. */
int mountinfo_read(struct mnt **out, size_t *n);
void mountinfo_free(struct mnt *m, size_t n);
/* path_under: path is dir or beneath it (both absolute and clean). */
int path_under(const char *path, const char *dir);
/* mount_point_of: the mount point path lies under (the longest): 0, or -1
 * with errno. */
int mount_point_of(const char *path, char *out, size_t n);
/* pivot.c: OP_ENTER, OP_MKDIR_CWD, OP_DEV_READONLY, OP_ROOT_READONLY. */
void do_enter(struct step *s, struct rstep *r);
void do_mkdir_cwd(struct step *s, struct rstep *r);
void do_dev_readonly(struct step *s, struct rstep *r);
void do_root_readonly(struct step *s, struct rstep *r);
/* paths.c: OP_READONLY_PATH, OP_MASK_PATH. */
void do_readonly_path(struct step *s, struct rstep *r);
void do_mask_path(struct step *s, struct rstep *r);
/* masks_done closes the shared mask (OP_ROOTFS_DONE). */
void masks_done(void);
/* procfs.c: a verified procfs handle, made by procfs_init at the plan's
 * start (while the stage is privileged and without a seccomp filter; a
 * container's init, still in the host's root, tries only a private
 * procfs, and the rest after pivot_root). Each
 * call returns an fd, or -1 with errno and e saying why (no handle: what
 * each way to make one said). proc_open: rel beneath the procfs root
 * ("sys/kernel/domainname"); proc_attr_open: name in the stage's own
 * attr/ (apparmor set: attr/apparmor/) directory; proc_reopen: fd opened
 * anew with flags through its /proc/<pid>/fd entry, checked to be the same
 * file; proc_fd_list: the stage's fd directory, to read. */
void procfs_init(int private_only);
int proc_open(const char *rel, int flags, struct rerr *e);
int proc_attr_open(int apparmor, const char *name, int flags, struct rerr *e);
int proc_reopen(int fd, int flags, struct rerr *e);
int proc_fd_list(struct rerr *e);
/* proc_fd_ready: 0 when proc_reopen can work (the fd directory is held). */
int proc_fd_ready(struct rerr *e);
/* mountsrc.c: asks the parent for mounts[index]'s source (an O_PATH fd,
 * or the detached id-mapped mount): the fd, or -1 with why. */
int ask_mount_source(uint64_t index, char *why, size_t n);

#endif
