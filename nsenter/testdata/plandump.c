/* plandump FILE...: decodes each plan file with nsenter/plan.c and prints,
 * per file, one line a step ("OP FIELD ITEMS") or "error: WHY", then "--".
 * plandump -: the same for each plan read from stdin as a 4-byte
 * little-endian length and its bytes, until end of input (one process
 * serving the plan package's fuzzing, FuzzCDecode). A test tool
 * (libcontainer/plan/cdecode_test.go builds it, with the address sanitizer
 * where the compiler has it), so that the C decoder meets the same
 * truncated and corrupted plans as the Go one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../plan.h"

static void dump(int fd)
{
	struct plan p;
	struct step s;
	const char *why = NULL;
	int r;

	if (plan_read(fd, &p, &why) < 0) {
		printf("error: %s\n", why ? why : "read");
		return;
	}
	while ((r = plan_next(&p, &s, &why)) > 0) {
		int items = 0;
		while (!step_done(&s)) {
			uint64_t u;
			const char *str;
			const unsigned char *b;
			size_t n;
			if (step_u64(&s, &u) == 0 || step_str(&s, &str) == 0 || step_bytes(&s, &b, &n) == 0) {
				items++;
				continue;
			}
			printf("error: bad item\n");
			goto out;
		}
		printf("%u %s %d\n", s.op, s.field, items);
	}
	if (r < 0)
		printf("error: %s\n", why);
out:
	free((void *)p.buf);
}

/* serve is plandump -: each plan goes through a memfd, as the stage reads
 * its plan from a pipe, and its result is flushed before the next is read. */
static int serve(void)
{
	unsigned char hdr[4], *buf;
	size_t n;

	while (fread(hdr, 1, 4, stdin) == 4) {
		int fd = memfd_create("plan", MFD_CLOEXEC);
		n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
		buf = malloc(n ? n : 1);
		if (fd < 0 || !buf || fread(buf, 1, n, stdin) != n || write(fd, buf, n) != (ssize_t)n ||
		    lseek(fd, 0, SEEK_SET) < 0) {
			perror("plandump");
			return 1;
		}
		free(buf);
		dump(fd);
		close(fd);
		printf("--\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc == 2 && !strcmp(argv[1], "-"))
		return serve();

	for (i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		dump(fd);
		close(fd);
		printf("--\n");
	}
	return 0;
}
