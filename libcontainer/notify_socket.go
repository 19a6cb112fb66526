package libcontainer

// The systemd notify protocol (sd_notify(3)) across the container boundary,
// as runc does it. When berth runs with NOTIFY_SOCKET set (a Type=notify
// unit, Podman's --sdnotify=container, Quadlet's Notify=yes):
//
//	create  <state dir>/notify is made and bound read-only at /run/notify,
//	        and the process gets NOTIFY_SOCKET=/run/notify/notify.sock
//	run, start
//	        berth binds notify.sock in that directory (a datagram socket
//	        anyone may write to: the container's user may be anyone),
//	        releases the process and waits until it sends a datagram with
//	        a READY= line (or init dies); it then sends that line,
//	        MAINPID=<pid> and BARRIER=1 (sd_notify_barrier) to the host's
//	        NOTIFY_SOCKET and returns.
//
// MAINPID is the container's init for run -d and start (berth exits, and
// the service manager must watch the container), and berth itself for a
// foreground run (berth lives as long as the container and exits with its
// status). delete removes the directory with the rest of the state.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
)

const (
	// notifyDirName is the directory in the state directory that holds the
	// container's socket; it is what is bound into the container.
	notifyDirName = "notify"
	// NotifySocketName is the socket in it.
	NotifySocketName = "notify.sock"
	// NotifyDirInContainer is where the directory appears in the container.
	NotifyDirInContainer = "/run/notify"
	// barrierTimeout bounds the wait for the host to take our messages
	// (sd_notify_barrier's default); a manager without barrier support
	// costs this much once, with a warning.
	barrierTimeout = 30 * time.Second
	// notifyPoll is how often the relay checks that init still lives
	// while it waits for READY.
	notifyPoll = 100 * time.Millisecond
)

// NotifyDir is the directory of the container's notify socket on the host.
func NotifyDir(root, id string) string {
	return filepath.Join(root, id, notifyDirName)
}

// AddNotifySocket edits the spec for a container whose runtime was given
// NOTIFY_SOCKET: the notify directory bound read-only at /run/notify (last,
// so that a tmpfs the config mounts on /run does not hide it) and
// NOTIFY_SOCKET in the process's environment (last, so it wins over one of
// the config's).
func AddNotifySocket(spec *specs.Spec, root, id string) {
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: NotifyDirInContainer,
		Type:        "bind",
		Source:      NotifyDir(root, id),
		Options:     []string{"bind", "nosuid", "noexec", "nodev", "ro"},
	})
	if spec.Process != nil {
		spec.Process.Env = append(spec.Process.Env, "NOTIFY_SOCKET="+NotifyDirInContainer+"/"+NotifySocketName)
	}
}

// makeNotifyDir makes <state dir>/notify, before init mounts it. 0755: the
// container's user (in a user namespace, any host uid) must reach the
// socket in it.
func makeNotifyDir(stateDir string) error {
	dir := filepath.Join(stateDir, notifyDirName)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: create %s: %w", dir, err)
	}
	return nil
}

// NotifyRelay carries the container's READY=1 to the host's NOTIFY_SOCKET.
type NotifyRelay struct {
	host   string // NOTIFY_SOCKET as given
	hostFd int    // connected to the host's socket
	fd     int    // bound at <state dir>/notify/notify.sock
	warn   func(msg string)
}

// DialNotifySocket connects to the host's NOTIFY_SOCKET (a path, or @NAME
// for an abstract socket), so that a socket nobody listens on fails run or
// start before the container's process runs.
// warn gets what does not fail the command (a manager that does not answer
// the barrier).
func DialNotifySocket(host string, warn func(msg string)) (*NotifyRelay, error) {
	addr, err := notifyAddr(host)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: socket: %w", host, err)
	}
	if err := unix.Connect(fd, addr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: connect: %w", host, err)
	}
	return &NotifyRelay{host: host, hostFd: fd, fd: -1, warn: warn}, nil
}

// notifyAddr parses NOTIFY_SOCKET as sd_notify(3) does: an absolute path,
// or @ and the name of an abstract socket.
func notifyAddr(host string) (*unix.SockaddrUnix, error) {
	var addr string
	switch {
	case strings.HasPrefix(host, "@") && len(host) > 1:
		addr = "\x00" + host[1:]
	case strings.HasPrefix(host, "/"):
		addr = host
	default:
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: must be an absolute path or @ and an abstract socket name", host)
	}
	// sockaddr_un's sun_path holds 108 bytes, a path's terminating NUL
	// among them.
	if len(addr) > 107 {
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: longer than the 107 bytes of a unix socket address", host)
	}
	return &unix.SockaddrUnix{Name: addr}, nil
}

// Listen binds the container's notify socket, in the directory create made.
func (r *NotifyRelay) Listen(c *Container) error {
	dir := filepath.Join(c.Dir, notifyDirName)
	// Through an O_PATH fd of the directory: the state directory's path
	// may be longer than a socket address can hold.
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("NOTIFY_SOCKET is set, but container %s was created without it: it has no notify socket", c.ID)
		}
		return fmt.Errorf("NOTIFY_SOCKET: open %s: %w", dir, err)
	}
	defer unix.Close(dfd)
	path := "/proc/self/fd/" + strconv.Itoa(dfd) + "/" + NotifySocketName
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: socket: %w", err)
	}
	// A start that failed earlier may have left one.
	_ = unix.Unlinkat(dfd, NotifySocketName, 0)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("NOTIFY_SOCKET: bind %s: %w", filepath.Join(dir, NotifySocketName), err)
	}
	// Anyone may write: the container's process may run as any user.
	if err := unix.Fchmodat(dfd, NotifySocketName, 0o777, 0); err != nil {
		unix.Close(fd)
		return fmt.Errorf("NOTIFY_SOCKET: chmod %s: %w", filepath.Join(dir, NotifySocketName), err)
	}
	r.fd = fd
	return nil
}

// Close closes both sockets (the bound one stays in the state directory
// until delete).
func (r *NotifyRelay) Close() {
	if r == nil {
		return
	}
	unix.Close(r.hostFd)
	if r.fd >= 0 {
		unix.Close(r.fd)
	}
}

// Wait waits for a datagram from the container with a READY= line and
// relays it with MAINPID=mainPid. It returns nil without relaying anything
// once alive says the container's process is gone, or stop is closed.
func (r *NotifyRelay) Wait(mainPid int, alive func() bool, stop <-chan struct{}) error {
	buf := make([]byte, 4096)
	for {
		fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(notifyPoll/time.Millisecond))
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("NOTIFY_SOCKET: poll: %w", err)
		}
		if n <= 0 {
			// Only when nothing is queued: a process that said READY=1
			// and exited at once is still relayed.
			select {
			case <-stop:
				return nil
			default:
			}
			if !alive() {
				logs.Debugf("notify: the container's process is gone; it never sent READY=1")
				return nil
			}
			continue
		}
		m, _, err := unix.Recvfrom(r.fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			return fmt.Errorf("NOTIFY_SOCKET: receive: %w", err)
		}
		if ready, ok := readyLine(buf[:m]); ok {
			return r.notifyHost(ready, mainPid)
		}
	}
}

// readyLine finds the READY= line of a datagram: sd_notify(3) messages are
// newline-separated assignments, sent in one datagram.
func readyLine(msg []byte) (string, bool) {
	for _, l := range strings.Split(string(msg), "\n") {
		if strings.HasPrefix(l, "READY=") {
			return l, true
		}
	}
	return "", false
}

// notifyHost sends READY, MAINPID and a barrier to the host's socket: the
// barrier's answer (the pipe's write end closed by the receiver) says the
// manager has read the messages before, so that berth exits only after
// systemd knows the main pid (else it could see its main process, berth,
// exit first).
func (r *NotifyRelay) notifyHost(ready string, mainPid int) error {
	for _, m := range []string{ready + "\n", "MAINPID=" + strconv.Itoa(mainPid) + "\n"} {
		if _, err := unix.Write(r.hostFd, []byte(m)); err != nil {
			return fmt.Errorf("NOTIFY_SOCKET %s: send %q: %w", r.host, strings.TrimSpace(m), err)
		}
	}
	logs.Debugf("notify: relayed %s with MAINPID=%d to %s", ready, mainPid, r.host)
	return r.barrier()
}

func (r *NotifyRelay) barrier() error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: pipe: %w", err)
	}
	rd := os.NewFile(uintptr(p[0]), "barrier")
	defer func() { _ = rd.Close() }()
	err := unix.Sendmsg(r.hostFd, []byte("BARRIER=1"), unix.UnixRights(p[1]), nil, 0)
	unix.Close(p[1])
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: send BARRIER=1: %w", r.host, err)
	}
	fds := []unix.PollFd{{Fd: int32(p[0]), Events: unix.POLLIN}}
	deadline := time.Now().Add(barrierTimeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			if r.warn != nil {
				r.warn(fmt.Sprintf("NOTIFY_SOCKET %s: no answer to BARRIER=1 in %s; going on", r.host, barrierTimeout))
			}
			return nil
		}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET: poll: %w", err)
		}
		var b [1]byte
		if k, _ := unix.Read(p[0], b[:]); k != 0 {
			return fmt.Errorf("NOTIFY_SOCKET %s: the barrier's pipe got data; it should only be closed", r.host)
		}
		return nil
	}
}
