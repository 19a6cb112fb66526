/* Messages of the C stage: to the parent over the sync socket (one JSON
 * object a packet, as libcontainer/sync.go reads them), and debug records
 * into the log pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "berth.h"

int sync_fd = -1;
/* log_fd is the log pipe (--debug), else -1. */
int log_fd = -1;

/* json_escape writes s into out (size n) as the inside of a JSON string. */
void json_escape(char *out, size_t n, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = c;
		} else if (c < 0x20) {
			o += snprintf(out + o, n - o, "\\u%04x", c);
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
}

/* debugf writes a debug record, as a JSON line the runtime forwards to its
 * log, naming this process: the stage forks, and each fork logs. */
void debugf(const char *fmt, ...)
{
	char text[1024], esc[2048], line[2200];
	int saved = errno, n;
	va_list ap;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_escape(esc, sizeof(esc), text);
	n = snprintf(line, sizeof(line), "{\"level\":\"debug\",\"msg\":\"nsenter[%d]: %s\"}\n", getpid(), esc);
	if (n > 0 && write(log_fd, line, (size_t)n) < 0) {
		/* a log that cannot be written is no reason to fail */
	}
	errno = saved;
}

int send_msg(const char *msg)
{
	ssize_t r;
	do {
		r = send(sync_fd, msg, strlen(msg), MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

/* send_fd_msg sends msg with fd attached (SCM_RIGHTS). */
int send_fd_msg(const char *msg, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t r;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		r = sendmsg(sync_fd, &mh, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

/* wait_reply reads one message from the parent and checks it is of the
 * given type ({"type":"console-done"}, say): 0, or -1 if the parent went
 * away or said something else. */
int wait_reply(const char *type)
{
	char buf[512], want[128];
	ssize_t r;

	do {
		r = recv(sync_fd, buf, sizeof(buf) - 1, 0);
	} while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	snprintf(want, sizeof(want), "\"type\":\"%s\"", type);
	return strstr(buf, want) ? 0 : -1;
}

/* bail reports the failed step to the parent and exits; errno is appended.
 * After a create plan's ready it goes where late_fail sends it. */
void bail(const char *fmt, ...)
{
	char text[1024], esc[2048], msg[2200];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* After a create plan's ready the parent is gone and sync_fd closed:
	 * start hears of it through exec.fifo (late_fail returns before
	 * ready, and exits after). */
	late_fail("plan", text, saved);
	if (saved) {
		size_t l = strlen(text);
		snprintf(text + l, sizeof(text) - l, ": %s", strerror(saved));
	}
	json_escape(esc, sizeof(esc), text);
	snprintf(msg, sizeof(msg), "{\"type\":\"error\",\"step\":\"nsenter\",\"msg\":\"%s\"}", esc);
	/* No parent on the socket (berth init run by hand with the variable
	 * set, say): the error goes to stderr rather than nowhere. */
	if (send_msg(msg) < 0)
		dprintf(2, "berth init: %s\n", text);
	_exit(1);
}

/* send_warning says what the stage ignored (a capability it could not
 * raise); the parent words err as Go does. */
void send_warning(int err, const char *fmt, ...)
{
	char text[1024], esc[2048], msg[2200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_escape(esc, sizeof(esc), text);
	snprintf(msg, sizeof(msg), "{\"type\":\"warning\",\"msg\":\"%s\",\"errno\":%d}", esc, err);
	send_msg(msg);
}
