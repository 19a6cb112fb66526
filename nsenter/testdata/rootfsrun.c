/* rootfsrun: runs the rootfs steps of a plan against a scratch root, as
 * the create executor would, without a container. A test tool
 * (libcontainer/rootfs/cexec_test.go builds it, with the address
 * sanitizer where the compiler has it, and runs it in a new mount
 * namespace).
 *
 *   rootfsrun run PLAN [CHECK...]   runs every step (fd 3: the sync
 *       socket, errors go there as to berth's parent), then each CHECK:
 *       "stat:PATH" prints "PATH TYPE MODE MAJOR:MINOR UID:GID",
 *       "link:PATH" the symlink's target, "tree:PATH" "NAME TYPE" for
 *       each entry under PATH (symlinks not followed), and last the
 *       mountinfo as seen from the new root, after a line "mountinfo".
 *       A CHECK "no-new-mount-api" instead makes fsopen and open_tree
 *       fail with ENOSYS (a seccomp filter) before the steps run, as on a
 *       kernel without them.
 *   rootfsrun parse FILE...         decodes the rootfs steps of each plan
 *       (rootfs_parse alone) and prints "OP FIELD" a step or "error",
 *       then "--": the fuzzing of tests/plan decoders. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "../berth.h"

static int parse(const char *file)
{
	struct plan p;
	struct step s;
	struct rstep r;
	const char *why = NULL;
	int fd = open(file, O_RDONLY), n;

	if (fd < 0) {
		perror(file);
		return 1;
	}
	if (plan_read(fd, &p, &why) < 0) {
		printf("error: %s\n", why ? why : "read");
		close(fd);
		return 0;
	}
	close(fd);
	while ((n = plan_next(&p, &s, &why)) > 0) {
		int bad = rootfs_parse(&s, &r) < 0;
		rstep_free(&r);
		if (bad) {
			printf("error: step %u\n", s.op);
			goto out;
		}
		printf("%u %s\n", s.op, s.field);
	}
	if (n < 0)
		printf("error: %s\n", why);
out:
	free((void *)p.buf);
	return 0;
}

static int tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	printf("%s %s\n", path, file_kind(st->st_mode));
	return 0;
}

static void check(const char *c)
{
	struct stat st;
	char buf[PATH_MAX];
	ssize_t n;

	if (!strncmp(c, "stat:", 5)) {
		if (lstat(c + 5, &st) < 0) {
			printf("%s missing\n", c + 5);
			return;
		}
		printf("%s %s %04o %u:%u %u:%u\n", c + 5, file_kind(st.st_mode), st.st_mode & 07777, major(st.st_rdev),
		       minor(st.st_rdev), st.st_uid, st.st_gid);
	} else if (!strncmp(c, "link:", 5)) {
		n = readlink(c + 5, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = '\0';
		printf("%s -> %s\n", c + 5, buf);
	} else if (!strncmp(c, "tree:", 5)) {
		if (nftw(c + 5, tree_entry, 16, FTW_PHYS) < 0)
			printf("%s unreadable\n", c + 5);
	}
}

/* no_new_mount_api: fsopen and open_tree fail with ENOSYS from now on (the
 * test tool's own architecture only: no audit arch check). */
static int no_new_mount_api(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsopen, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open_tree, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("rootfsrun: seccomp");
		return -1;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	struct plan p;
	struct step s;
	const char *why = NULL;
	char buf[65536];
	int fd = open(argv[2], O_RDONLY), procfd, mi, n, i;
	ssize_t r;

	sync_fd = 3;
	log_fd = 2;
	/* The host's /proc, held: mountinfo opened through it at the end
	 * shows the mounts as the new root sees them (the kernel takes the
	 * reader's root when the file is opened). */
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || procfd < 0 || plan_read(fd, &p, &why) < 0) {
		fprintf(stderr, "rootfsrun: cannot read the plan or mountinfo\n");
		return 2;
	}
	for (i = 3; i < argc; i++)
		if (!strcmp(argv[i], "no-new-mount-api") && no_new_mount_api() < 0)
			return 2;
	while ((n = plan_next(&p, &s, &why)) > 0) {
		if (!rootfs_step(&s)) {
			fprintf(stderr, "rootfsrun: op %u is no rootfs step\n", s.op);
			return 2;
		}
	}
	if (n < 0) {
		fprintf(stderr, "rootfsrun: %s\n", why);
		return 2;
	}
	for (i = 3; i < argc; i++)
		check(argv[i]);
	mi = openat(procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mi < 0) {
		perror("rootfsrun: mountinfo");
		return 2;
	}
	printf("mountinfo\n");
	fflush(stdout);
	while ((r = read(mi, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)r) != r)
			return 2;
	free((void *)p.buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "parse")) {
		for (i = 2; i < argc; i++) {
			if (parse(argv[i]))
				return 1;
			printf("--\n");
		}
		return 0;
	}
	fprintf(stderr, "usage: rootfsrun run PLAN [CHECK...] | parse FILE...\n");
	return 2;
}
