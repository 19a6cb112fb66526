package main

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// --pidfd-socket (create, run, exec; runc 1.2+): the caller's unix socket
// receives a pidfd of the container's init or of the exec'd process, one
// SCM_RIGHTS message whose payload is "pidfd". A pidfd, unlike a pid,
// cannot come to name another process once this one is reaped.

// dialPidfdSocket connects to the --pidfd-socket path, or returns nil when
// none was given. It is called before anything starts, so that a socket
// nobody listens on fails the command with nothing to undo.
func dialPidfdSocket(path string) (*net.UnixConn, error) {
	if path == "" {
		return nil, nil
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket: %w", err)
	}
	return conn.(*net.UnixConn), nil
}

// sendPidfd opens a pidfd of pid and sends it over conn.
func sendPidfd(conn *net.UnixConn, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket: pidfd_open %d: %w", pid, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer func() { _ = f.Close() }()
	if _, _, err := conn.WriteMsgUnix([]byte("pidfd"), unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("--pidfd-socket %s: %w", conn.RemoteAddr(), err)
	}
	return nil
}
