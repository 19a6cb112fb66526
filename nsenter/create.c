/*
 * The steps only a container's init runs (ops 26-49 of plan.h), compiled
 * by the parent (libcontainer/create_plan.go) in runc's order; exec.c
 * dispatches every step it does not know here, then to rootfs.c. Messages
 * on the sync socket besides exec.c's:
 *
 *   parent                              this stage
 *                               <- hooks                  (OP_HOOKS_SYNC)
 *   prestart, createRuntime hooks
 *   hooks-done                  ->
 *                               <- ready                  (exec.c)
 *   closes its end; create exits        waits on exec.fifo (OP_FIFO_WAIT)
 *
 * After ready the parent is gone: a failure goes to start through
 * exec.fifo once start has opened it, else to the container's stderr, as
 * runc's init does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

int start_fifo = -1;
/* past_ready: ready was sent; the parent no longer listens. */
static int past_ready;

/* go_strerror words err as Go's syscall.Errno does: the C library's
 * text with a lower-case first letter (both come from the same table). */
const char *go_strerror(int err, char *buf, size_t n)
{
	snprintf(buf, n, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* die_on_signal ends init as the signal would: a container's init is its
 * pid namespace's reaper, and the kernel drops a signal whose action is
 * the default there (only SIGKILL is forced), so `kill ID` (SIGTERM) would
 * not end a created container. The Go init ended on these signals: its
 * runtime's handler re-raised them and, with no effect, exited 2. So does
 * this one; execve resets the handlers for the user's process. */
static void die_on_signal(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(2);
}

void create_signals(void)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = die_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			bail("sigaction %d", sigs[i]);
}

void create_ready(void)
{
	past_ready = 1;
	/* The parent closed its end on ready. */
	if (sync_fd >= 0) {
		close(sync_fd);
		sync_fd = -1;
	}
}

void late_fail(const char *field, const char *text, int err)
{
	char msg[3000], words[256];
	int n;

	if (!past_ready)
		return;
	if (start_fifo >= 0) {
		/* "n<errno> <message>": start words errno as Go does; "e":
		 * no errno. */
		if (err)
			n = snprintf(msg, sizeof(msg), "n%d %s: %s", err, field, text);
		else
			n = snprintf(msg, sizeof(msg), "e%s: %s", field, text);
		if (n > 0 && write(start_fifo, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0) {
			/* start has gone: nobody left to tell */
		}
	} else {
		fprintf(stderr, "berth init: %s: %s%s%s\n", field, text, err ? ": " : "",
			err ? go_strerror(err, words, sizeof(words)) : "");
	}
	_exit(127);
}

static void do_keyring(struct step *s)
{
	need_done(s);
	/* ENOSYS: no keyrings; EPERM: a seccomp profile of the caller's, or
	 * a kernel that refuses in a user namespace: not fatal, the session
	 * keyring is a nicety. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "_ses.berth") < 0 && errno != ENOSYS && errno != EPERM)
		step_fail(s, errno, "keyctl");
}

static void do_hooks_sync(struct step *s)
{
	need_done(s);
	send_msg("{\"type\":\"hooks\"}");
	if (wait_reply("hooks-done") < 0)
		step_fail(s, 0, "parent did not finish the prestart and createRuntime hooks");
}

static void do_names(struct step *s)
{
	const char *name = need_str(s);

	need_done(s);
	if (s->op == OP_HOSTNAME && sethostname(name, strlen(name)) < 0)
		step_fail(s, errno, "sethostname \"%s\"", name);
	if (s->op == OP_DOMAINNAME && setdomainname(name, strlen(name)) < 0)
		step_fail(s, errno, "setdomainname \"%s\"", name);
}

static void do_loopback(struct step *s)
{
	struct ifreq ifr;
	int fd, saved;

	need_done(s);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		step_fail(s, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		saved = errno;
		close(fd);
		step_fail(s, saved, "get flags of lo");
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		saved = errno;
		close(fd);
		step_fail(s, saved, "bring up lo");
	}
	close(fd);
}

static void do_sysctl(struct step *s)
{
	const char *key = need_str(s), *path = need_str(s), *val = need_str(s);
	size_t len = strlen(val);
	struct rerr e;
	ssize_t n;
	int fd, saved;

	need_done(s);
	/* The parent names the file under /proc/sys; it is opened beneath
	 * the procfs handle, not through the container's /proc. */
	if (strncmp(path, "/proc/sys/", 10) != 0)
		bad_step(s);
	fd = proc_open(path + 6, O_WRONLY | O_TRUNC, &e);
	if (fd < 0)
		step_fail(s, e.err, "%s: %s", key, e.msg);
	n = write(fd, val, len);
	saved = errno;
	close(fd);
	if (n < 0)
		step_fail(s, saved, "%s: write %s", key, path);
	if ((size_t)n != len)
		step_fail(s, EIO, "%s: write %s (short)", key, path);
}

/* do_reopen_dev_null puts the container's own /dev/null in place of a
 * stdio fd that is the host's (Podman's conmon, containerd give /dev/null
 * for an unused stdin): the same device on a mount outside the
 * container's mount namespace, which CRIU cannot dump. */
static void do_reopen_dev_null(struct step *s)
{
	struct stat st, null;
	int on[3], non = 0, fd, i;

	need_done(s);
	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
			on[non++] = fd;
	if (!non)
		return;
	/* A stdio fd is a /dev/null: the container's must open, as in runc. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		step_fail(s, errno, "open /dev/null");
	if (fstat(fd, &null) < 0)
		step_fail(s, errno, "stat /dev/null");
	if (!S_ISCHR(null.st_mode)) {
		close(fd); /* a file bound over it: nothing to match */
		return;
	}
	for (i = 0; i < non; i++) {
		if (fstat(on[i], &st) < 0 || st.st_rdev != null.st_rdev || st.st_dev == null.st_dev)
			continue; /* already the container's own */
		if (dup3(fd, on[i], 0) < 0)
			step_fail(s, errno, "reopen /dev/null as fd %d", on[i]);
	}
	close(fd);
}

/* LISTEN_PID is init's pid, which the process keeps across execve: 1 in a
 * pid namespace of its own, the host pid in the host's. */
static void do_listen_pid(struct step *s)
{
	char *kv;

	need_done(s);
	if (asprintf(&kv, "LISTEN_PID=%d", getpid()) < 0)
		step_fail(s, ENOMEM, "LISTEN_PID");
	env_add(s, kv);
}

/* do_fifo_wait blocks until start opens exec.fifo for reading: the fd is
 * an O_PATH one, reopened for writing through the procfs handle (the
 * container's /proc could be anything, even a plain file at
 * /proc/self/fd/N that would not block). */
static void do_fifo_wait(struct step *s)
{
	uint64_t fd = need_u64(s);
	struct rerr e;
	int w;

	need_done(s);
	if (fd > 65535)
		bad_step(s);
	w = proc_reopen((int)fd, O_WRONLY, &e);
	if (w < 0)
		step_fail(s, e.err, "open: %s", e.msg);
	close((int)fd);
	/* The fifo stays open, close-on-exec: start sees its end when execve
	 * has succeeded; an error until then is written to it. */
	start_fifo = w;
}

static void do_fifo_ok(struct step *s)
{
	need_done(s);
	if (start_fifo < 0)
		bad_step(s);
	if (write(start_fifo, "0", 1) < 0)
		step_fail(s, errno, "write");
}

int create_step(struct step *s)
{
	switch (s->op) {
	case OP_KEYRING: do_keyring(s); break;
	case OP_HOOKS_SYNC: do_hooks_sync(s); break;
	case OP_HOOKS: do_hooks(s); break;
	case OP_HOSTNAME:
	case OP_DOMAINNAME: do_names(s); break;
	case OP_LOOPBACK: do_loopback(s); break;
	case OP_SYSCTL: do_sysctl(s); break;
	case OP_REOPEN_DEV_NULL: do_reopen_dev_null(s); break;
	case OP_LISTEN_PID: do_listen_pid(s); break;
	case OP_FIFO_WAIT: do_fifo_wait(s); break;
	case OP_FIFO_OK: do_fifo_ok(s); break;
	default: return 0;
	}
	return 1;
}
