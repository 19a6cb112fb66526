/* The pod sandbox's process for the CRI test: it holds the pod's namespaces
 * open and does nothing else, like Kubernetes' pause image. It must exit on
 * SIGINT/SIGTERM (as pid 1 it has no default handlers) and reap orphans. */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { (void)sig; _exit(0); }

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction q = { .sa_handler = quit };
	struct sigaction r = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART };

	sigaction(SIGINT, &q, NULL);
	sigaction(SIGTERM, &q, NULL);
	sigaction(SIGCHLD, &r, NULL);
	for (;;)
		pause();
}
