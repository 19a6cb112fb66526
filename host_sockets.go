package main

// What a service manager hands the runtime through its environment, and
// the container gets as runc gives it: systemd's notify socket
// (NOTIFY_SOCKET, libcontainer/notify_socket.go) and socket-activated fds
// (LISTEN_FDS and LISTEN_PID, sd_listen_fds(3)).

import (
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer"
)

// hostSockets is what create and run take from berth's environment.
type hostSockets struct {
	notify string // NOTIFY_SOCKET
	// listenFDs is LISTEN_FDS when LISTEN_PID names berth: fds 3 ..
	// 3+listenFDs-1 are sockets for the container's process.
	listenFDs int
}

// hostSocketsFromEnv reads NOTIFY_SOCKET, LISTEN_FDS and LISTEN_PID. Fds
// meant for another process (LISTEN_PID not ours, as when berth is started
// by a socket-activated program that did not unset them) are not taken,
// as sd_listen_fds(3) and runc do.
func hostSocketsFromEnv() (hostSockets, error) {
	h := hostSockets{notify: os.Getenv("NOTIFY_SOCKET")}
	fds, pid := os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID")
	if fds == "" || pid != strconv.Itoa(os.Getpid()) {
		return h, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return h, fmt.Errorf("LISTEN_FDS %q (LISTEN_PID is berth's pid): not a number of fds", fds)
	}
	for fd := 3; fd < 3+n; fd++ {
		// An fd berth opened itself (close-on-exec, as all of them) is
		// not one its caller passed, whatever its number.
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			return h, fmt.Errorf("LISTEN_FDS=%d: fd %d was not passed to berth", n, fd)
		}
	}
	h.listenFDs = n
	return h, nil
}

// editSpec gives the container what the environment handed berth: the
// notify socket's mount and NOTIFY_SOCKET, and LISTEN_FDS and LISTEN_PID
// (init sets LISTEN_PID to the process's pid; 1 is what it is in a pid
// namespace of its own, and what runc says).
func (h hostSockets) editSpec(spec *specs.Spec, root, id string) {
	if h.notify != "" {
		libcontainer.AddNotifySocket(spec, root, id)
	}
	if h.listenFDs > 0 && spec.Process != nil {
		spec.Process.Env = append(spec.Process.Env, "LISTEN_FDS="+strconv.Itoa(h.listenFDs), "LISTEN_PID=1")
	}
}

// dialNotify connects to NOTIFY_SOCKET, if set, for run and start: a
// socket nobody listens on fails them before anything is made or run.
func dialNotify() (*libcontainer.NotifyRelay, error) {
	host := os.Getenv("NOTIFY_SOCKET")
	if host == "" {
		return nil, nil
	}
	return libcontainer.DialNotifySocket(host, logWarn)
}

// initAlive says whether the container's init still runs (a zombie does
// not: run -d is its parent, and does not reap it while it waits).
func initAlive(ct *libcontainer.Container) func() bool {
	pid, start := ct.State.Pid, ct.State.StartTime
	return func() bool { return proc.Alive(pid, start) }
}
