/*
 * The hooks a container's init runs itself (createContainer in its
 * namespaces before pivot_root, startContainer once start has come), as
 * libcontainer/hooks.go runs the parent's: the state on stdin, the hook's
 * own env (none, if it has none), stdout and stderr collected for the
 * error, its process group killed at its timeout, and a daemon it leaves
 * holding the output waited for a second at most.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"

#define HOOK_OUT_MAX 4096

struct hook {
	const char *path;
	uint64_t timeout;
	char **argv, **envp;
};

/* A hook's failure: its words and the errno (0: none) for the parent. */
struct hook_err {
	char text[HOOK_OUT_MAX + 256];
	int err;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char **need_list(struct step *s)
{
	uint64_t n = need_u64(s), i;
	char **v;

	if (n > s->len)
		bad_step(s);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		step_fail(s, errno, "allocate");
	for (i = 0; i < n; i++)
		v[i] = (char *)need_str(s);
	return v;
}

/* trim drops white space at both ends, as Go's strings.TrimSpace. */
static char *trim(char *b)
{
	size_t n = strlen(b);
	while (n && strchr(" \t\r\n\v\f", b[n - 1]))
		b[--n] = '\0';
	while (*b && strchr(" \t\r\n\v\f", *b))
		b++;
	return b;
}

/* close_from closes every fd from first on. Without close_range (before
 * Linux 5.9) it reads /proc/self/fd, as do_close_fds does: a preserved fd
 * may be far above 1023. Without /proc either, it closes up to the fd
 * limit, which no fd is above unless the limit was lowered after. */
static void close_from(int first)
{
	struct rlimit rl;
	struct dirent *e;
	DIR *d;
	int fd, max = 1024;

	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (d) {
		while ((e = readdir(d))) {
			fd = atoi(e->d_name);
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= first && fd != dirfd(d))
				close(fd);
		}
		closedir(d);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > (rlim_t)max)
		max = rl.rlim_cur > (1 << 20) ? (1 << 20) : (int)rl.rlim_cur;
	for (fd = first; fd < max; fd++)
		close(fd);
}

static void child(const struct hook *h, int in, int out, int errp)
{
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	/* Only stdio reaches the hook, as os/exec gives the parent's hooks:
	 * not the sync socket, the fifo or the fds preserved for the
	 * process. errp, close-on-exec, moves to 3 and stays until execve. */
	if (errp != 3) {
		if (dup3(errp, 3, O_CLOEXEC) < 0)
			goto fail;
		errp = 3;
	}
	close_from(4);
	execve(h->path, h->argv, h->envp);
fail:
	e = errno;
	if (write(errp, &e, sizeof(e)) < 0) {
		/* the stage learns of it from the exit status */
	}
	_exit(127);
}

/* close_pipes closes those of the hook's pipes that are open (not -1). */
static void close_pipes(const int *in, const int *out, const int *errp)
{
	const int *p[3] = {in, out, errp};
	int i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 2; j++)
			if (p[i][j] >= 0)
				close(p[i][j]);
}

/* run_hook runs h with state on stdin: 0, or -1 with *e set. */
static int run_hook(const struct hook *h, const char *state, struct hook_err *e)
{
	int in[2], out[2], errp[2], status = 0, exited = 0, eof = 0, timed_out = 0, ce = 0, wait_err = 0;
	size_t off = 0, slen = strlen(state), olen = 0;
	char obuf[HOOK_OUT_MAX + 1];
	long long deadline = h->timeout ? now_ms() + (long long)h->timeout * 1000 : 0, exit_at = 0;
	pid_t pid;

	in[0] = in[1] = out[0] = out[1] = errp[0] = errp[1] = -1;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		e->err = errno;
		snprintf(e->text, sizeof(e->text), "pipe");
		close_pipes(in, out, errp);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		e->err = errno;
		snprintf(e->text, sizeof(e->text), "fork/exec %s", h->path);
		close_pipes(in, out, errp);
		return -1;
	}
	if (pid == 0)
		child(h, in[0], out[1], errp[1]);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (!slen) {
		close(in[1]);
		in[1] = -1;
	}
	while (!(exited && eof)) {
		struct pollfd p[2];
		int np = 0;

		if (in[1] >= 0)
			p[np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		if (!eof)
			p[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		if (poll(p, (nfds_t)np, 20) > 0) {
			int i;
			for (i = 0; i < np; i++) {
				if (p[i].fd == in[1] && p[i].revents) {
					ssize_t n = write(in[1], state + off, slen - off);
					/* A hook that does not read its stdin closes it: fine. */
					if (n > 0)
						off += (size_t)n;
					if ((n < 0 && errno != EAGAIN && errno != EINTR) || off == slen) {
						close(in[1]);
						in[1] = -1;
					}
				} else if (p[i].fd == out[0] && p[i].revents) {
					char tmp[1024];
					ssize_t n = read(out[0], tmp, sizeof(tmp));
					if (n > 0 && olen < HOOK_OUT_MAX) {
						size_t k = (size_t)n < HOOK_OUT_MAX - olen ? (size_t)n : HOOK_OUT_MAX - olen;
						memcpy(obuf + olen, tmp, k);
						olen += k;
					}
					if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
						eof = 1;
				}
			}
		}
		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			/* -1 (ECHILD: an inherited SIGCHLD ignore reaped it)
			 * would otherwise be polled for ever: the hook is
			 * gone, and its status with it. */
			if (w < 0 && errno != EINTR)
				wait_err = errno;
			if (w == pid || wait_err) {
				exited = 1;
				exit_at = now_ms();
			}
		}
		if (exited && !eof && now_ms() - exit_at > 1000)
			break; /* a daemon of the hook's holds the output */
		if (!exited && deadline && now_ms() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			exited = timed_out = 1;
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	if (read(errp[0], &ce, sizeof(ce)) != (ssize_t)sizeof(ce))
		ce = 0;
	close(errp[0]);
	obuf[olen] = '\0';
	e->err = 0;
	if (timed_out) {
		snprintf(e->text, sizeof(e->text), "timed out after %llus", (unsigned long long)h->timeout);
		return -1;
	}
	if (ce) {
		e->err = ce;
		snprintf(e->text, sizeof(e->text), "fork/exec %s", h->path);
		return -1;
	}
	if (wait_err) {
		/* Go's words for a failed wait4: "wait: no child processes". */
		e->err = wait_err;
		snprintf(e->text, sizeof(e->text), "wait");
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) {
		snprintf(e->text, sizeof(e->text), "exit status %d", WEXITSTATUS(status));
	} else {
		char sig[64];
		/* Go's words for a signal: the C library's, lower case. */
		snprintf(sig, sizeof(sig), "%s", strsignal(WTERMSIG(status)));
		if (sig[0] >= 'A' && sig[0] <= 'Z')
			sig[0] = (char)(sig[0] - 'A' + 'a');
		snprintf(e->text, sizeof(e->text), "signal: %s%s", sig, WCOREDUMP(status) ? " (core dumped)" : "");
	}
	if (*trim(obuf)) {
		size_t l = strlen(e->text);
		snprintf(e->text + l, sizeof(e->text) - l, ": %s", trim(obuf));
	}
	return -1;
}

void do_hooks(struct step *s)
{
	const char *kind = need_str(s), *dir = need_str(s), *before = need_str(s), *after = need_str(s);
	uint64_t n = need_u64(s), i;
	char *state;
	struct hook_err e;
	void (*old)(int);

	if (n > s->len)
		bad_step(s);
	if (asprintf(&state, "%s%d%s", before, getpid(), after) < 0)
		step_fail(s, ENOMEM, "state");
	if (*dir && chdir(dir) < 0) {
		/* The step's name berth's messages always had. */
		strcpy(s->field, "enter rootfs");
		step_fail(s, errno, "chdir to root.path %s", dir);
	}
	/* A hook that leaves its stdin unread must not kill us with SIGPIPE. */
	old = signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < n; i++) {
		struct hook h;
		char text[sizeof(e.text) + 512];

		h.path = need_str(s);
		h.timeout = need_u64(s);
		h.argv = need_list(s);
		h.envp = need_list(s);
		debugf("%s hook #%llu: %s", kind, (unsigned long long)i, h.path);
		if (run_hook(&h, state, &e) < 0) {
			/* runc's words, which clients match. */
			snprintf(text, sizeof(text), "error running %s hook #%llu: %s: %s", kind, (unsigned long long)i,
				 h.path, e.text);
			if (start_fifo >= 0) {
				/* startContainer: an error of start, as a hook's
				 * ("h"), which start follows with destroy. */
				char buf[sizeof(text) + 300], words[256];
				int l = snprintf(buf, sizeof(buf), "h%s%s%s", text, e.err ? ": " : "",
						 e.err ? go_strerror(e.err, words, sizeof(words)) : "");
				if (l > 0 && write(start_fifo, buf, strlen(buf)) < 0) {
					/* start has gone */
				}
				_exit(1);
			}
			step_fail(s, e.err, "%s", text);
		}
		free(h.argv);
		free(h.envp);
	}
	need_done(s);
	signal(SIGPIPE, old);
	free(state);
}
