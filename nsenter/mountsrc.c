/* The parent's help with a mount source (libcontainer/mountsource.go,
 * idmapmount.go): init names mounts[index], the parent, with the host's
 * credentials, opens its source (or makes the id-mapped mount) and sends
 * the fd.
 *
 *   init                               parent
 *   mount-source {msg: index}      ->
 *                                  <-  mount-source-fd + fd
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth.h"

int ask_mount_source(uint64_t index, char *why, size_t n)
{
	char msg[128], buf[512], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd = -1;
	ssize_t r;

	snprintf(msg, sizeof(msg), "{\"type\":\"mount-source\",\"msg\":\"%" PRIu64 "\"}", index);
	send_msg(msg);
	do {
		r = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r <= 0) {
		snprintf(why, n, "sync: read sync socket: %s", r < 0 ? strerror(errno) : "the runtime went away");
		return -1;
	}
	buf[r] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (!strstr(buf, "\"type\":\"mount-source-fd\"") || fd < 0) {
		if (fd >= 0)
			close(fd);
		snprintf(why, n, "sync: expected mount-source-fd message with an fd, got %.200s", buf);
		return -1;
	}
	return fd;
}
