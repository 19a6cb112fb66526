// rusage: run a command and print its peak RSS in KiB (ru_maxrss from wait4:
// the largest of the command and of the children it reaped) and its minor
// page faults (ru_minflt: the command's and its reaped children's, summed)
// on stdout; the command's stdin and stdout are /dev/null. Exits with the
// command's status.
//
// Unlike /usr/bin/time -f %M, or a fork from the Go harness, this launcher
// is small and static, and vforks: the RSS the child inherits before its
// exec (which Linux counts in ru_maxrss) is this program's, about 100 KiB
// and the same for every runtime, not the launcher's few MiB.
// Usage: rusage CMD [ARG...]
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		static const char u[] = "usage: rusage CMD [ARG...]\n";
		write(2, u, sizeof u - 1);
		return 2;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) return 2;
	pid_t pid = vfork();
	if (pid < 0) return 2;
	if (pid == 0) {
		dup2(null, 0);
		dup2(null, 1);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	struct rusage ru;
	int st;
	if (wait4(pid, &st, 0, &ru) < 0) return 2;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%ld %ld\n", ru.ru_maxrss, ru.ru_minflt);
	write(1, buf, n);
	if (WIFEXITED(st)) return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}
