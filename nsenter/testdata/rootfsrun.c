/* rootfsrun: runs the rootfs steps of a plan against a scratch root, as
 * the create executor would, without a container. A test tool
 * (libcontainer/rootfs/cexec_test.go builds it, with the address
 * sanitizer where the compiler has it, and runs it in a new mount
 * namespace).
 *
 *   rootfsrun run PLAN [CHECK...]   runs every step (fd 3: the sync
 *       socket, errors go there as to berth's parent), then each CHECK:
 *       "stat:PATH" prints "PATH TYPE MODE MAJOR:MINOR UID:GID",
 *       "link:PATH" the symlink's target, "outside:PATH" the last mount
 *       at PATH in the whole namespace as seen from the old root, "PATH
 *       FSTYPE TAGS" (TAGS: the propagation, "shared:N" or "-") or "PATH
 *       none", "tree:PATH" "NAME TYPE" for each entry under PATH (symlinks
 *       not followed), and last the mountinfo as seen from the new root,
 *       after a line "mountinfo".
 *       A CHECK "no-new-mount-api" instead makes fsopen and open_tree
 *       fail with ENOSYS (a seccomp filter) before the steps run, as on a
 *       kernel without them.
 *   rootfsrun parse FILE...         decodes the rootfs steps of each plan
 *       (rootfs_parse alone) and prints "OP FIELD" a step or "error",
 *       then "--": the fuzzing of tests/plan decoders.
 *   rootfsrun create PLAN           runs a whole create plan (run_plan;
 *       fd 3: the sync socket), for the executor's own failures.
 *   rootfsrun clean                 prints clean_rel of each line of stdin,
 *       or "error ERRNO".
 *   rootfsrun cgroup-source         prints cgroup_bind_source of each line
 *       "MP<tab>ROOT<tab>OWN" of stdin (OWN "-": unknown), or "error ERRNO". */
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

/* outside prints the last mount at path of the mountinfo read from fd,
 * which was opened before the steps ran: the kernel shows it from the
 * opener's root, the old one. */
static void outside(int fd, const char *path)
{
	char line[8192], found[8192] = "none", esc[PATH_MAX * 4], *e = esc;
	const char *c;
	FILE *f;
	int nfd = dup(fd);

	/* mountinfo's spelling: octal escapes for blanks and backslashes */
	for (c = path; *c && e < esc + sizeof(esc) - 5; c++)
		e += strchr(" \t\n\\", *c) ? sprintf(e, "\\%03o", (unsigned char)*c) : sprintf(e, "%c", *c);
	*e = '\0';

	if (nfd < 0 || lseek(nfd, 0, SEEK_SET) < 0 || !(f = fdopen(nfd, "r"))) {
		printf("%s error\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fld[7], *p = line, *t, tags[4096] = "";
		int i;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < 7; i++)
			fld[i] = strsep(&p, " ");
		if (!fld[6] || strcmp(fld[4], esc))
			continue;
		for (t = fld[6]; t && strcmp(t, "-"); t = strsep(&p, " ")) {
			if (strncmp(t, "shared:", 7) && strncmp(t, "master:", 7))
				continue;
			if (*tags)
				strcat(tags, ",");
			strncat(tags, t, sizeof(tags) - strlen(tags) - 2);
		}
		t = strsep(&p, " ");
		snprintf(found, sizeof(found), "%s %s", t ? t : "?", *tags ? tags : "-");
	}
	fclose(f);
	printf("%s %s\n", path, found);
}

static int tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	printf("%s %s\n", path, file_kind(st->st_mode));
	return 0;
}

static void check(const char *c, int all_mi)
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
	} else if (!strncmp(c, "outside:", 8)) {
		outside(all_mi, c + 8);
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
	int fd = open(argv[2], O_RDONLY), procfd, mi, all_mi, n, i;
	ssize_t r;

	sync_fd = 3;
	log_fd = 2;
	/* The host's /proc, held: mountinfo opened through it at the end
	 * shows the mounts as the new root sees them (the kernel takes the
	 * reader's root when the file is opened). */
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	all_mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || procfd < 0 || all_mi < 0 || plan_read(fd, &p, &why) < 0) {
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
		check(argv[i], all_mi);
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

/* helpers runs one of the resolve helpers on each line of stdin (a path,
 * or the mount point, root and own cgroup, tab-separated), printing a line
 * each: 0, or 2 for bad usage. */
static int helpers(const char *which)
{
	static char line[3 * 65536];
	char out[PATH_MAX];
	int r;

	if (strcmp(which, "clean") && strcmp(which, "cgroup-source"))
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		char *f[3] = {line, NULL, NULL};
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(which, "clean")) {
			r = clean_rel(line, out, sizeof(out));
		} else {
			if (!(f[1] = strchr(f[0], '\t')) || !(f[2] = strchr(++f[1], '\t')))
				return 2;
			f[1][-1] = '\0';
			*f[2]++ = '\0';
			r = cgroup_bind_source(f[0], f[1], strcmp(f[2], "-") ? f[2] : NULL, out, sizeof(out));
		}
		if (r < 0)
			printf("error %d\n", errno);
		else
			printf("%s\n", out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "create")) {
		sync_fd = 3;
		run_plan(open(argv[2], O_RDONLY | O_CLOEXEC), 1);
	}
	if (argc >= 2 && !strcmp(argv[1], "parse")) {
		for (i = 2; i < argc; i++) {
			if (parse(argv[i]))
				return 1;
			printf("--\n");
		}
		return 0;
	}
	if (argc == 2 && helpers(argv[1]) == 0)
		return 0;
	fprintf(stderr, "usage: rootfsrun run PLAN [CHECK...] | parse FILE... | create PLAN | clean | cgroup-source\n");
	return 2;
}
