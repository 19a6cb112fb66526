package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The fds the parent lets reach init: stdio, the preserved ones
// (--preserve-fds), and its own sync socket, plan pipe and fifo.

// checkPreserved refuses to pass fd unless berth inherited it from its
// caller. Every fd that crossed the caller's execve lacks close-on-exec;
// every fd berth (or the Go runtime, which keeps the host's cgroup files
// open) opened has it: such an fd is berth's own and must not reach the
// container just because the caller asked for more fds than it gave.
func checkPreserved(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err == nil && flags&unix.FD_CLOEXEC != 0 {
		err = errors.New("not passed to berth by its caller")
	}
	if err != nil {
		return fmt.Errorf("--preserve-fds: fd %d: %w", fd, err)
	}
	return nil
}

// closeExtraFds marks every fd from first on close-on-exec: the parent
// calls it before it starts init, for the fds it inherited from its caller
// (CVE-2024-21626); the C stage does the same for the user's process.
func closeExtraFds(first int) error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}
