/*
 * The executor of an exec plan: after nsexec.c joined the container's
 * namespaces, this runs the steps the parent compiled
 * (libcontainer/exec_plan.go) and execs the process. No Go runtime starts
 * in the process. Messages on the sync socket, in order:
 *
 *   parent                              this stage
 *   plan (plan pipe, to EOF)    ->
 *                               <- console + pty master   (OP_CONSOLE)
 *   console-done                ->
 *                               <- warning                (any number)
 *                               <- seccomp + listener     (OP_SECCOMP with
 *   seccomp-done                ->                          a listener)
 *                               <- ready                  (OP_READY)
 *                               <- error, or EOF at execve (the socket is
 *                                  close-on-exec)
 *
 * Any failure: {"type":"error","step":FIELD,"msg":"...","errno":N}; the
 * parent appends Go's words for errno, so the message reads as the Go
 * init's did.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "berth.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Exit status of a failed stage: 1 until ready (the parent reports the
 * error), then 127, the shell's status for a command that could not run. */
static int fail_status = 1;

/* What the steps build for execve. */
static char **args, **envp;
/* nenv entries in envp, which has room for env_room more (HOME). */
static size_t nenv, env_room;
static char *exec_path;
/* A permission error of the first OP_CWD, retried as the user. */
static int cwd_deferred;
/* plan_create: the plan is a container's init (create.c's steps). */
static int plan_create;

void step_fail(const struct step *s, int err, const char *fmt, ...)
{
	char text[1024], esc[2048], field[512], msg[3000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_escape(esc, sizeof(esc), text);
	if (plan_create)
		late_fail(s->field, text, err);
	json_escape(field, sizeof(field), s->field);
	snprintf(msg, sizeof(msg), "{\"type\":\"error\",\"step\":\"%s\",\"msg\":\"%s\",\"errno\":%d}", field, esc, err);
	send_msg(msg);
	_exit(fail_status);
}

void bad_step(const struct step *s)
{
	step_fail(s, 0, "malformed plan step %u", s->op);
}

uint64_t need_u64(struct step *s)
{
	uint64_t v;
	if (step_u64(s, &v) < 0)
		bad_step(s);
	return v;
}

const char *need_str(struct step *s)
{
	const char *v;
	if (step_str(s, &v) < 0)
		bad_step(s);
	return v;
}

void need_done(struct step *s)
{
	if (!step_done(s))
		bad_step(s);
}

/* str_list reads a count and that many strings into a NULL-terminated
 * array, with room for two more entries (HOME, LISTEN_PID). */
static char **str_list(struct step *s, size_t *count)
{
	uint64_t n = need_u64(s), i;
	char **v;

	if (n > s->len)
		bad_step(s);
	v = calloc(n + 3, sizeof(char *));
	if (!v)
		step_fail(s, errno, "allocate");
	for (i = 0; i < n; i++)
		v[i] = (char *)need_str(s);
	need_done(s);
	if (count)
		*count = n;
	return v;
}

/* passwd_home returns the home of uid in the container's /etc/passwd, or
 * "/" when the file, the user or the field is missing. */
#define MAX_PASSWD (4 << 20)
static const char *passwd_home(uint64_t uid)
{
	static char *buf;
	char want[32], *line, *save = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: a fifo in the image must not hang us (and is
	 * skipped: not a regular file). */
	fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return "/";
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(buf = malloc(MAX_PASSWD + 1))) {
		close(fd);
		return "/";
	}
	while (len < MAX_PASSWD && (r = read(fd, buf + len, MAX_PASSWD - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	snprintf(want, sizeof(want), "%llu", (unsigned long long)uid);
	/* name:password:uid:gid:gecos:home:shell */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = {0}, *p = line;
		int i;
		for (i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (i >= 6 && !strcmp(f[2], want))
			return *f[5] ? f[5] : "/";
	}
	return "/";
}

void env_add(const struct step *s, char *kv)
{
	if (!envp || !env_room)
		bad_step(s);
	env_room--;
	envp[nenv++] = kv;
	envp[nenv] = NULL;
}

static void do_home(struct step *s)
{
	uint64_t uid = need_u64(s);
	char *home;

	need_done(s);
	if (asprintf(&home, "HOME=%s", passwd_home(uid)) < 0)
		step_fail(s, ENOMEM, "HOME");
	env_add(s, home);
}

/* check_exec: path exists and is an executable file (stat follows
 * symlinks; a directory is not), as Go's exec.LookPath decides. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

/* do_look_path resolves args[0] with the container's PATH, before ready,
 * so that "executable file not found in $PATH" is an error of exec (Podman
 * maps those words to exit code 127, "permission denied" to 126). */
static void do_look_path(struct step *s)
{
	const char *path = need_str(s), *name, *p;
	char *denied = NULL;
	int denied_err = 0;

	need_done(s);
	/* The step is named "exec", as berth's messages always said. */
	strcpy(s->field, "exec");
	if (!args || !args[0])
		bad_step(s);
	name = args[0];
	if (strchr(name, '/')) {
		if (check_exec(name) < 0)
			step_fail(s, errno, "%s", name);
		exec_path = (char *)name;
		return;
	}
	if (!*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t dl = end ? (size_t)(end - p) : strlen(p);
		char *cand;

		while (dl > 1 && p[dl - 1] == '/')
			dl--;
		if (dl == 0) {
			if (asprintf(&cand, "%s", name) < 0)
				step_fail(s, ENOMEM, "%s", name);
		} else if (dl == 1 && p[0] == '/') {
			if (asprintf(&cand, "/%s", name) < 0)
				step_fail(s, ENOMEM, "%s", name);
		} else if (asprintf(&cand, "%.*s/%s", (int)dl, p, name) < 0) {
			step_fail(s, ENOMEM, "%s", name);
		}
		if (check_exec(cand) == 0) {
			exec_path = cand;
			return;
		}
		if (errno == EACCES && !denied) {
			denied = cand;
			denied_err = errno;
		} else {
			free(cand);
		}
		if (!end)
			break;
		p = end;
	}
	if (denied)
		step_fail(s, denied_err, "%s", denied);
	step_fail(s, 0, "\"%s\": executable file not found in $PATH", name);
}

/* do_cwd enters process.cwd: as root first (a directory closed to the
 * user, /root 0700), a permission error retried as the user (a directory
 * on root-squashing NFS only the user may enter). */
static void do_cwd(struct step *s)
{
	const char *cwd = need_str(s);
	uint64_t as_user = need_u64(s);
	char buf[4096];

	need_done(s);
	if (as_user && !cwd_deferred)
		return;
	if (chdir(cwd) < 0) {
		if (!as_user && (errno == EACCES || errno == EPERM)) {
			cwd_deferred = 1;
			return;
		}
		step_fail(s, errno, "%s", cwd);
	}
	/* The cwd must be inside the container's root (CVE-2024-21626):
	 * outside it, getcwd(2) says "(unreachable)/...", not "/...". */
	if (syscall(SYS_getcwd, buf, sizeof(buf)) < 0 || buf[0] != '/')
		step_fail(s, 0, "%s: not inside the container root", cwd);
	cwd_deferred = 0;
}

/* do_close_fds marks every fd from first on close-on-exec: only stdio and
 * the preserved fds reach the process. */
static void do_close_fds(struct step *s)
{
	uint64_t first = need_u64(s);
	struct rerr err;
	DIR *d;
	struct dirent *e;
	int list;

	need_done(s);
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Before Linux 5.11: the list of the procfs handle, never the
	 * container's /proc. */
	list = proc_fd_list(&err);
	if (list < 0)
		step_fail(s, err.err, "list open fds: %s", err.msg);
	d = fdopendir(list);
	if (!d)
		step_fail(s, errno, "list open fds");
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= (int)first && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

/* do_seccomp loads the BPF program the parent compiled. With a listener,
 * the fd goes to the parent, which hands it to the agent. */
static void do_seccomp(struct step *s)
{
	uint64_t flags = need_u64(s);
	const unsigned char *raw;
	struct sock_filter *insns;
	struct sock_fprog prog;
	size_t n;
	long r;

	if (step_bytes(s, &raw, &n) < 0 || n == 0 || n % sizeof(struct sock_filter) ||
	    n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		bad_step(s);
	need_done(s);
	/* A copy: the plan's bytes need not be aligned. */
	insns = malloc(n);
	if (!insns)
		step_fail(s, errno, "load seccomp filter");
	memcpy(insns, raw, n);
	prog.len = (unsigned short)(n / sizeof(struct sock_filter));
	prog.filter = insns;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)flags, &prog);
	if (r < 0 && errno == EACCES)
		step_fail(s, errno, "load seccomp filter (the thread needs no_new_privs or CAP_SYS_ADMIN)");
	if (r < 0)
		step_fail(s, errno, "load seccomp filter");
	free(insns);
	if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return;
	if (send_fd_msg("{\"type\":\"seccomp\"}", (int)r) < 0)
		step_fail(s, errno, "send the seccomp listener");
	close((int)r);
	if (wait_reply("seccomp-done") < 0)
		step_fail(s, 0, "parent did not acknowledge the seccomp listener");
}

static void do_ready(struct step *s)
{
	struct rerr e;

	need_done(s);
	/* A container's init reopens exec.fifo through the procfs handle's
	 * fd directory after ready, where a failure would show only at
	 * start, as a container that cannot start: without it, create fails
	 * now. */
	if (plan_create && proc_fd_ready(&e) < 0)
		step_fail(s, e.err, "exec fifo: %s", e.msg);
	debugf("%s plan: ready; next: the rest of the plan, execve %s", plan_create ? "create" : "exec", exec_path ? exec_path : "?");
	/* The parent waits for the log to end before it reports. */
	if (log_fd >= 0) {
		close(log_fd);
		log_fd = -1;
	}
	/* A parent killed before ready would otherwise leave this init
	 * waiting on exec.fifo for a start that never comes, holding its
	 * namespaces, mounts and cgroup. */
	if (send_msg("{\"type\":\"ready\"}") < 0)
		step_fail(s, errno, "tell the parent init is ready");
	fail_status = 127;
	if (plan_create)
		create_ready();
}

static void do_execve(struct step *s)
{
	need_done(s);
	if (!exec_path || !args || !envp)
		bad_step(s);
	execve(exec_path, args, envp);
	/* One line naming the file, as runc's: a missing interpreter or
	 * loader makes execve say ENOENT for a path that exists. */
	step_fail(s, errno, "exec %s", exec_path);
}

void run_plan(int fd, int create)
{
	struct plan p;
	struct step s;
	const char *why = NULL;
	int r;

	if (plan_read(fd, &p, &why) < 0) {
		if (why)
			errno = 0;
		bail("read the plan%s%s", why ? ": " : "", why ? why : "");
	}
	close(fd);
	plan_create = create;
	procfs_init(create);
	if (create)
		create_signals();
	while ((r = plan_next(&p, &s, &why)) > 0) {
		debugf("%s plan: step %u (%s)", create ? "create" : "exec", s.op, s.field);
		switch (s.op) {
		case OP_SETSID: {
			uint64_t required = need_u64(&s);
			need_done(&s);
			if (setsid() < 0 && required)
				step_fail(&s, errno, "setsid");
			break;
		}
		case OP_CONSOLE: do_console(&s); break;
		case OP_ENV:
			free(envp);
			envp = str_list(&s, &nenv);
			env_room = 2;
			break;
		case OP_HOME: do_home(&s); break;
		case OP_ARGS:
			free(args);
			args = str_list(&s, NULL);
			break;
		case OP_LOOK_PATH: do_look_path(&s); break;
		case OP_PERSONALITY: do_personality(&s); break;
		case OP_SCHEDULER: do_scheduler(&s); break;
		case OP_IOPRIO: do_ioprio(&s); break;
		case OP_AFFINITY: do_affinity(&s); break;
		case OP_MEM_POLICY: do_mem_policy(&s); break;
		case OP_CAP_BOUNDING: do_cap_bounding(&s); break;
		case OP_CWD: do_cwd(&s); break;
		case OP_USER: do_user(&s); break;
		case OP_CAPS: do_caps(&s); break;
		case OP_NO_NEW_PRIVS: do_no_new_privs(&s); break;
		case OP_UMASK: do_umask(&s); break;
		case OP_CLOSE_FDS: do_close_fds(&s); break;
		case OP_SECCOMP: do_seccomp(&s); break;
		case OP_READY: do_ready(&s); break;
		case OP_RLIMIT: do_rlimit(&s); break;
		case OP_EXEC_LABEL: do_exec_label(&s); break;
		case OP_DROP_KEPT: do_drop_kept(&s); break;
		case OP_EXECVE: do_execve(&s); break;
		default:
			/* An exec plan has no create or rootfs steps. */
			if (!create || (!create_step(&s) && !rootfs_step(&s)))
				step_fail(&s, 0, "unknown plan step %u", s.op);
		}
	}
	if (r < 0) {
		errno = 0;
		bail("malformed plan: %s", why);
	}
	errno = 0;
	bail("the plan ended without execve");
}
