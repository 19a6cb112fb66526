// The nsenter stage of berth's init. It runs as a constructor, before the Go
// runtime starts any thread, because setns(2) into user and mount namespaces
// and unshare(CLONE_NEWUSER) need a single-threaded caller.
//
// Protocol on the sync socket (SOCK_SEQPACKET, one message a packet), in the
// order it happens (checked here and, message by message, by the parent: libcontainer/sync_order.go):
//
//   parent                               this stage
//   ------                               ----------
//   bootstrap (text, see parse_bootstrap) ->
//                                        open every path to join
//                                        setns those the joined userns does
//                                          not own, the userns, the others
//                                        unshare(CLONE_NEWUSER|CLONE_NEWTIME)
//                                          (those asked for)
//                          <- {"type":"nsenter","pid":P}
//   write uid/gid maps of P,
//   write /proc/P/timens_offsets,
//   place P in its cgroups
//   "ack"                                ->
//                                        setresuid/gid(0) in a new or
//                                          joined userns
//                                        unshare(every other new namespace)
//                                        fork if a pid/time ns needs a child
//                          <- {"type":"pid","pid":C}  (C: host pid of init)
//                                        (intermediate, if any, exits)
//                                        run the plan (exec.c; create.c
//                                          for "mode create"), execve:
//                                          init never returns to Go
//
// Any failure: {"type":"error","step":"nsenter","msg":"..."} and exit(1).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <grp.h>
#include <linux/nsfs.h>

#include "berth.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MAX_JOIN 16
#define BOOT_MAX 65536

struct join {
	int flag;
	char *path;
	int fd;
};

struct bootstrap {
	int cloneflags;
	struct join joins[MAX_JOIN];
	int njoins;
	int setgroups_deny;
	/* mode: what this init is for, said by the parent (never guessed). */
	enum { MODE_NONE, MODE_CREATE, MODE_EXEC } mode;
	/* plan_fd: the pipe the parent sends the plan on (required: it is
	 * what init runs after the namespaces, exec.c and create.c). */
	int plan_fd;
	/* log_fd: the log pipe (--debug), else -1. */
	int log_fd;
};

static const char *ns_name(int flag)
{
	switch (flag) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	}
	return "unknown";
}

/*
 * The bootstrap is text, one directive a line:
 *   clone <decimal CLONE_NEW* flags>
 *   join <decimal flag> <path>          (path: rest of the line)
 *   setgroups deny
 *   mode create|exec                    (required)
 *   plan <fd>                           (required: the pipe the plan
 *                                        follows on, see exec.c)
 *   log <fd>                            (--debug: the log pipe, msg.c)
 */
/* fd_arg reads the fd number of a bootstrap line: above stdio, whole. */
static int fd_arg(const char *line, const char *s)
{
	char *end;
	long fd;

	errno = 0;
	fd = strtol(s, &end, 10);
	if (errno || *end || end == s || fd < 3 || fd > 1 << 20)
		bail("malformed bootstrap line %s", line);
	return (int)fd;
}

static void parse_bootstrap(char *buf, struct bootstrap *b)
{
	char *line, *save = NULL;

	memset(b, 0, sizeof(*b));
	b->plan_fd = b->log_fd = -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "clone ", 6)) {
			b->cloneflags = (int)strtol(line + 6, NULL, 10);
		} else if (!strncmp(line, "join ", 5)) {
			char *sp;
			if (b->njoins == MAX_JOIN)
				bail("too many namespaces to join");
			b->joins[b->njoins].flag = (int)strtol(line + 5, &sp, 10);
			if (*sp != ' ')
				bail("malformed bootstrap line %s", line);
			b->joins[b->njoins].path = sp + 1;
			b->njoins++;
		} else if (!strcmp(line, "setgroups deny")) {
			b->setgroups_deny = 1;
		} else if (!strcmp(line, "mode create")) {
			b->mode = MODE_CREATE;
		} else if (!strcmp(line, "mode exec")) {
			b->mode = MODE_EXEC;
		} else if (!strncmp(line, "plan ", 5)) {
			b->plan_fd = fd_arg(line, line + 5);
		} else if (!strncmp(line, "log ", 4)) {
			b->log_fd = fd_arg(line, line + 4);
		} else {
			errno = 0;
			bail("unknown bootstrap line %s", line);
		}
	}
	errno = 0;
	if (b->mode == MODE_NONE)
		bail("bootstrap without its mode line");
	if (b->plan_fd < 0)
		bail("bootstrap without its plan line");
}

/* owned_by: the namespace fd is owned by the user namespace whose stat is
 * *user. When the kernel cannot say (NS_GET_USERNS unsupported), it counts
 * as owned: joined after the user namespace, as before. */
static int owned_by(int fd, const struct stat *user)
{
	struct stat st;
	int owner = ioctl(fd, NS_GET_USERNS);
	int r;

	if (owner < 0)
		return 1;
	r = fstat(owner, &st) == 0 && st.st_dev == user->st_dev && st.st_ino == user->st_ino;
	close(owner);
	return r;
}

static void join_one(struct join *j)
{
	if (setns(j->fd, j->flag) < 0)
		bail("setns %s namespace %s", ns_name(j->flag), j->path);
	debugf("joined %s namespace %s", ns_name(j->flag), j->path);
	close(j->fd);
	j->fd = -1;
}

static void join_namespaces(struct bootstrap *b)
{
	struct join *user = NULL;
	struct stat ust;
	int i;

	/* Open every path first: after joining a mount namespace, host paths
	 * no longer resolve. */
	for (i = 0; i < b->njoins; i++) {
		b->joins[i].fd = open(b->joins[i].path, O_RDONLY | O_CLOEXEC);
		if (b->joins[i].fd < 0)
			bail("open %s namespace %s", ns_name(b->joins[i].flag), b->joins[i].path);
		if (b->joins[i].flag == CLONE_NEWUSER)
			user = &b->joins[i];
	}
	if (user) {
		if (fstat(user->fd, &ust) < 0)
			bail("stat user namespace %s", user->path);
		/* A namespace the joined user namespace does not own (the host's
		 * network namespace of a pod, made with ip netns) is joined
		 * first: joining the user namespace drops every capability
		 * outside it, and setns(2) needs CAP_SYS_ADMIN over the owner. */
		for (i = 0; i < b->njoins; i++)
			if (&b->joins[i] != user && !owned_by(b->joins[i].fd, &ust))
				join_one(&b->joins[i]);
		/* Then the user namespace: it grants the capabilities that
		 * joining the others, owned by it, needs. */
		join_one(user);
	}
	for (i = 0; i < b->njoins; i++)
		if (b->joins[i].fd >= 0)
			join_one(&b->joins[i]);
}

static int joined(struct bootstrap *b, int flag)
{
	int i;
	for (i = 0; i < b->njoins; i++)
		if (b->joins[i].flag == flag)
			return 1;
	return 0;
}

static void wait_ack(void)
{
	char buf[16];
	ssize_t r;
	do {
		r = recv(sync_fd, buf, sizeof(buf), 0);
	} while (r < 0 && errno == EINTR);
	if (r != 3 || memcmp(buf, "ack", 3)) {
		errno = 0;
		bail("parent did not acknowledge the namespace set-up");
	}
}

/* setgroups_denied: /proc/self/setgroups says deny (newgidmap writes that
 * when it maps only the caller's own gid). */
static int setgroups_denied(void)
{
	char buf[16] = {0};
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return !strncmp(buf, "deny", 4);
}

static void become_root(struct bootstrap *b)
{
	if (!b->setgroups_deny && setgroups(0, NULL) < 0 && !(errno == EPERM && setgroups_denied()))
		bail("setgroups in the user namespace");
	if (setresgid(0, 0, 0) < 0)
		bail("setresgid 0 in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		bail("setresuid 0 in the user namespace");
}

void berth_nsexec(void)
{
	static char boot[BOOT_MAX + 1];
	struct bootstrap b;
	char msg[128];
	const char *env = getenv("_BERTH_INITPIPE");
	int first, rest;
	ssize_t n;
	pid_t child;

	if (!env || !*env)
		return;
	sync_fd = atoi(env);

	do {
		n = recv(sync_fd, boot, BOOT_MAX, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		bail("read bootstrap");
	boot[n] = '\0';
	parse_bootstrap(boot, &b);
	log_fd = b.log_fd;
	debugf("bootstrap: %s plan, clone flags 0x%x, %d namespaces to join%s",
	       b.mode == MODE_CREATE ? "create" : "exec", b.cloneflags,
	       b.njoins, b.setgroups_deny ? ", setgroups deny" : "");

	/* Until the user's process runs, nothing but root may ptrace or read
	 * this process's memory (it holds host fds). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		bail("prctl PR_SET_DUMPABLE");

	join_namespaces(&b);

	/* The time namespace is made now, with the user namespace (which the
	 * kernel makes first, so it owns it), for the parent to write its
	 * offsets to /proc/<pid>/timens_offsets: once we have switched to root
	 * in a new user namespace we could not (our non-dumpable /proc files
	 * belong to the host's root), and they must be written before any
	 * process enters it (the fork below). */
	first = b.cloneflags & (CLONE_NEWUSER | CLONE_NEWTIME);
	if (first && unshare(first) < 0)
		bail("unshare namespaces 0x%x", first);
	if (first)
		debugf("unshared namespaces 0x%x; waiting for the parent (id maps, time offsets, cgroups)", first);
	if (b.cloneflags & CLONE_NEWUSER) {
		/* The parent writes our uid/gid maps: it must be able to open
		 * /proc/<pid>/uid_map, which needs a dumpable process. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			bail("prctl PR_SET_DUMPABLE");
	}
	snprintf(msg, sizeof(msg), "{\"type\":\"nsenter\",\"pid\":%d}", getpid());
	send_msg(msg);
	wait_ack();
	if (b.cloneflags & CLONE_NEWUSER)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* In a new or a joined user namespace, become its root: the host ids
	 * we have are not mapped in a joined one (files we made would fail
	 * with EOVERFLOW), and init runs as root until the user switch. */
	if ((b.cloneflags & CLONE_NEWUSER) || joined(&b, CLONE_NEWUSER)) {
		become_root(&b);
		debugf("became root in the user namespace");
	}

	/* The cgroup namespace comes after the parent placed us in our cgroup
	 * (the ack above), so that the container's cgroup becomes its root. */
	rest = b.cloneflags & ~(CLONE_NEWUSER | CLONE_NEWTIME);
	if (rest && unshare(rest) < 0)
		bail("unshare namespaces 0x%x", rest);
	if (rest)
		debugf("unshared namespaces 0x%x", rest);

	/* A new or joined pid or time namespace applies only to children. */
	if ((b.cloneflags & (CLONE_NEWPID | CLONE_NEWTIME)) || joined(&b, CLONE_NEWPID) || joined(&b, CLONE_NEWTIME)) {
		child = fork();
		if (child < 0)
			bail("fork into the new pid namespace");
		if (child > 0) {
			debugf("forked init %d into the new pid or time namespace; exiting", child);
			snprintf(msg, sizeof(msg), "{\"type\":\"pid\",\"pid\":%d}", child);
			send_msg(msg);
			_exit(0);
		}
	} else {
		snprintf(msg, sizeof(msg), "{\"type\":\"pid\",\"pid\":%d}", getpid());
		send_msg(msg);
	}
	/* No Go runtime in the process: the plan on its pipe says the rest,
	 * down to execve (run_plan does not return). */
	run_plan(b.plan_fd, b.mode == MODE_CREATE);
}
