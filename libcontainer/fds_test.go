package libcontainer

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// An fd berth opened itself (close-on-exec) is never passed as a preserved
// fd; an inherited one (no close-on-exec) is; a closed one is an error.
func TestCheckPreserved(t *testing.T) {
	own, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(own)
	if err := checkPreserved(own); err == nil || !strings.Contains(err.Error(), "not passed to berth") {
		t.Errorf("own fd %d: got %v, want a refusal", own, err)
	}
	inherited, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(inherited)
	if err := checkPreserved(inherited); err != nil {
		t.Errorf("inherited fd %d: %v", inherited, err)
	}
	closed, _ := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	unix.Close(closed)
	if err := checkPreserved(closed); err == nil {
		t.Errorf("closed fd %d: no error", closed)
	}
}

// closeExtraFds leaves fds below first alone and marks the rest
// close-on-exec.
func TestCloseExtraFds(t *testing.T) {
	var fds []int
	for i := 0; i < 3; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		fds = append(fds, fd)
	}
	if err := closeExtraFds(fds[1]); err != nil {
		t.Fatal(err)
	}
	for i, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := flags&unix.FD_CLOEXEC != 0, i > 0; got != want {
			t.Errorf("fd %d: close-on-exec %v, want %v", fd, got, want)
		}
	}
}
