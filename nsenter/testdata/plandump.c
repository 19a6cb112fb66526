/* plandump FILE...: decodes each plan file with nsenter/plan.c and prints,
 * per file, one line a step ("OP FIELD ITEMS") or "error: WHY", then "--". A test tool
 * (libcontainer/plan/cdecode_test.go builds it, with the address sanitizer
 * where the compiler has it), so that the C decoder meets the same
 * truncated and corrupted plans as the Go one. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	int i;

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
