//go:build linux && cgo && !noseccomp

package seccomp

import (
	"golang.org/x/sys/unix"
)

// Program returns the BPF program to install and the seccomp(2) flags to
// pass, for the loader, the C stage of init (nsenter/exec.c), which runs
// single-threaded: no TSYNC. The program is the one
// with the ENOSYS stub when the profile needs it, else libseccomp's own.
func (f *Filter) Program() ([]unix.SockFilter, uint64, error) {
	if f == nil {
		return nil, 0, nil
	}
	prog := f.prog
	if prog == nil {
		var err error
		if prog, err = exportBPF(f.filter); err != nil {
			return nil, 0, err
		}
	}
	var flags uint64
	if on, err := f.filter.GetLogBit(); err == nil && on {
		flags |= unix.SECCOMP_FILTER_FLAG_LOG
	}
	if on, err := f.filter.GetSSB(); err == nil && on {
		flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	if f.notify {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		if on, err := f.filter.GetWaitKill(); err == nil && on {
			flags |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		}
	}
	return prog, flags, nil
}
