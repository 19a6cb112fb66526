//go:build linux && cgo && !noseccomp

package seccomp

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Load installs the filter. It does not set no_new_privs: the caller has
// set it on this thread already, or holds CAP_SYS_ADMIN (seccomp(2)).
// Call it with the OS thread locked, so that the thread that set
// no_new_privs is the one that loads. The filter goes to every thread of
// the process (TSYNC), so whichever thread calls execve carries it.
//
// It returns the listener fd when the filter has SCMP_ACT_NOTIFY rules,
// else -1. The kernel opens it close-on-exec: the caller must hand it to
// the agent before execve. A nil Filter loads nothing and returns -1.
func (f *Filter) Load() (int, error) {
	if f == nil {
		return -1, nil
	}
	if f.loaded {
		return -1, errors.New("load seccomp filter: already loaded")
	}
	if f.prog != nil {
		fd, err := f.loadProg(f.prog)
		if err != nil {
			return -1, loadErr(err)
		}
		f.loaded = true
		return fd, nil
	}
	if err := f.filter.Load(); err != nil {
		return -1, loadErr(err)
	}
	f.loaded = true
	if !f.notify {
		return -1, nil
	}
	fd, err := f.filter.GetNotifFd()
	if err != nil {
		return -1, fmt.Errorf("seccomp listener fd: %w", err)
	}
	return int(fd), nil
}

func loadErr(err error) error {
	if errors.Is(err, unix.EACCES) {
		return fmt.Errorf("load seccomp filter: %w (the thread needs no_new_privs or CAP_SYS_ADMIN)", err)
	}
	return fmt.Errorf("load seccomp filter: %w", err)
}
