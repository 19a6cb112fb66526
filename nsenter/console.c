/*
 * process.terminal (OP_CONSOLE): a pty made in the container's devpts, the
 * slave as the process's stdio and controlling terminal, the master handed
 * to the parent (for --console-socket, or the foreground proxy).
 *
 * /dev/ptmx is whatever the container (create: config.json's mounts, an
 * image's /dev; exec: a process of the running container) put there. A
 * regular file or /dev/null would give the process stdio that is no
 * terminal, and a master that is no pty, so both ends are checked:
 *   - the master is the kernel's pty multiplexer, char 5:2. The device
 *     number, not the node's filesystem, names the driver: devpts's own
 *     pts/ptmx (the standard /dev/ptmx link) and a devtmpfs-style node,
 *     for which the kernel makes the pair in the devpts at the node's
 *     sibling pts/, are both that driver.
 *   - the slave comes from the master (TIOCGPTPEER), not from the name
 *     /dev/pts/N the container could have replaced, and is checked to be
 *     a pty slave on devpts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include <linux/magic.h>

#include "berth.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* The kernel's numbers (<linux/major.h>): TTYAUX_MAJOR 5, minor 2 is the
 * multiplexer; UNIX98_PTY_SLAVE_MAJOR 136, minor the pty's index. */
#define PTMX_MAJOR 5
#define PTMX_MINOR 2
#define PTS_MAJOR 136

static void check_ptmx(struct step *s, const struct stat *st)
{
	if (S_ISCHR(st->st_mode) && major(st->st_rdev) == PTMX_MAJOR && minor(st->st_rdev) == PTMX_MINOR)
		return;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		step_fail(s, 0, "/dev/ptmx is a %s %u:%u, not the pty multiplexer (character device %d:%d)",
			  file_kind(st->st_mode), major(st->st_rdev), minor(st->st_rdev), PTMX_MAJOR, PTMX_MINOR);
	step_fail(s, 0, "/dev/ptmx is a %s, not the pty multiplexer (character device %d:%d)", file_kind(st->st_mode),
		  PTMX_MAJOR, PTMX_MINOR);
}

/* open_ptmx opens /dev/ptmx once it is known to be the multiplexer: its
 * node is checked through an O_PATH handle first, so no other file is
 * opened (a device of the host's bound there, a fifo). That handle is then
 * reopened through the stage's procfs handle (procfs.c), so the node
 * checked is the node opened; without a procfs handle, by name again, and
 * the opened fd is checked to be that node, in case the name was swapped
 * in between. */
static int open_ptmx(struct step *s)
{
	struct stat pre, st;
	struct rerr e;
	int h, fd;

	h = open("/dev/ptmx", O_PATH | O_CLOEXEC);
	if (h < 0)
		step_fail(s, errno, "open /dev/ptmx");
	if (fstat(h, &pre) < 0)
		step_fail(s, errno, "stat /dev/ptmx");
	check_ptmx(s, &pre);
	fd = proc_reopen(h, O_RDWR | O_NOCTTY, &e);
	if (fd < 0 && errno == EXDEV)
		step_fail(s, 0, "open /dev/ptmx: %s", e.msg);
	if (fd < 0) {
		debugf("console: %s; /dev/ptmx opened by name", e.msg);
		fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (fd < 0)
		step_fail(s, errno, "open /dev/ptmx");
	if (fstat(fd, &st) < 0)
		step_fail(s, errno, "stat /dev/ptmx");
	if (st.st_dev != pre.st_dev || st.st_ino != pre.st_ino)
		step_fail(s, 0, "/dev/ptmx was replaced while it was opened");
	check_ptmx(s, &st);
	close(h);
	return fd;
}

/* open_peer opens the slave of pty n through its master. Kernels before
 * 4.13 lack TIOCGPTPEER (berth needs openat2, 5.6, so only in theory):
 * then by name, without following a link, and checked. */
static int open_peer(struct step *s, int master, int n, const char *name)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && (errno == EINVAL || errno == ENOTTY))
		fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		step_fail(s, errno, "open %s", name);
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		step_fail(s, errno, "stat %s", name);
	if (sfs.f_type != DEVPTS_SUPER_MAGIC)
		step_fail(s, 0, "%s is not on a devpts filesystem (magic %#lx)", name, (unsigned long)sfs.f_type);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(PTS_MAJOR, (unsigned)n))
		step_fail(s, 0, "%s is a %s %u:%u, not the slave of pty %d (character device %d:%d)", name,
			  file_kind(st.st_mode), major(st.st_rdev), minor(st.st_rdev), n, PTS_MAJOR, n);
	return fd;
}

/* do_console opens a pty in the container's own devpts (so the process
 * can reopen it by its /dev/pts name), makes the slave stdio and the
 * controlling terminal, and hands the master to the parent. */
void do_console(struct step *s)
{
	uint64_t uid = need_u64(s), w = need_u64(s), h = need_u64(s);
	int master, slave, unlock = 0, n, fd;
	char name[64], msg[128];

	need_done(s);
	master = open_ptmx(s);
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		step_fail(s, errno, "unlockpt");
	if (ioctl(master, TIOCGPTN, &n) < 0)
		step_fail(s, errno, "ptsname");
	if (w > 0 && h > 0) {
		struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			step_fail(s, errno, "set console size");
	}
	snprintf(name, sizeof(name), "/dev/pts/%d", n);
	slave = open_peer(s, master, n, name);
	/* The process may be another user: let it own its tty. */
	if (fchown(slave, (uid_t)uid, (gid_t)-1) < 0) {
		/* not fatal (a read-only devpts in a user ns) */
	}
	for (fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			step_fail(s, errno, "dup %s", name);
	if (slave > 2)
		close(slave);
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		step_fail(s, errno, "make %s the controlling terminal", name);
	snprintf(msg, sizeof(msg), "{\"type\":\"console\",\"msg\":\"%s\"}", name);
	if (send_fd_msg(msg, master) < 0)
		step_fail(s, errno, "send the console");
	close(master);
	/* The parent may change the pty's settings: wait until it has. */
	if (wait_reply("console-done") < 0)
		step_fail(s, 0, "parent did not acknowledge the console");
}
