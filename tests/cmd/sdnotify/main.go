// Command sdnotify is a test helper for berth's integration tests of the
// systemd notify protocol (sd_notify(3)) and of socket activation
// (sd_listen_fds(3)), both ends of each, so that the tests need neither
// systemd nor socat. It uses raw syscalls only, so a CGO_ENABLED=0 build is
// static and runs in a busybox rootfs.
//
// Usage:
//
//	sdnotify listen SOCKET OUT
//	    The host side of NOTIFY_SOCKET (what systemd is): bind a datagram
//	    socket at SOCKET (a path, or @NAME for an abstract one) and append
//	    every datagram received to OUT, one line per line of it. OUT is
//	    created once the socket is bound. A datagram carrying fds (the
//	    BARRIER=1 of sd_notify_barrier) is logged with " fds=N" and its fds
//	    are closed at once, which is the barrier's answer. Runs until killed.
//	sdnotify send MESSAGE...
//	    The container side: send each MESSAGE as one datagram to
//	    $NOTIFY_SOCKET, as sd_notify does.
//	sdnotify activate [-listen-pid N] PATH... -- COMMAND ARGS...
//	    The host side of socket activation (what systemd does for a .socket
//	    unit): listen on a unix stream socket at each PATH, put them at fds
//	    3, 4, ..., set LISTEN_FDS and LISTEN_PID (our pid, which COMMAND
//	    keeps: we exec it; -listen-pid N sets another) and exec COMMAND.
//	sdnotify serve
//	    The container side: print LISTEN_FDS, LISTEN_PID and our pid, then
//	    for each fd 3 .. 3+LISTEN_FDS-1 check it is a listening unix stream
//	    socket, print its address, accept one connection on it and write
//	    "fd N pid P" to it.
//	sdnotify connect PATH
//	    Connect to the unix stream socket at PATH and print what it says.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch args := os.Args[2:]; os.Args[1] {
	case "listen":
		if len(args) != 2 {
			usage()
		}
		err = listen(args[0], args[1])
	case "send":
		err = send(args)
	case "activate":
		err = activate(args)
	case "serve":
		err = serve()
	case "connect":
		if len(args) != 1 {
			usage()
		}
		err = connect(args[0])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sdnotify %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sdnotify listen SOCKET OUT | send MESSAGE... | activate [-listen-pid N] PATH... -- COMMAND... | serve | connect PATH")
	os.Exit(2)
}

// sockaddr is a unix address: "@NAME" names an abstract socket, as in
// NOTIFY_SOCKET (sd_notify(3)).
func sockaddr(name string) *unix.SockaddrUnix {
	if strings.HasPrefix(name, "@") {
		return &unix.SockaddrUnix{Name: "\x00" + name[1:]}
	}
	return &unix.SockaddrUnix{Name: name}
}

func listen(sock, out string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, sockaddr(sock)); err != nil {
		return fmt.Errorf("bind %s: %w", sock, err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	buf := make([]byte, 8192)
	oob := make([]byte, unix.CmsgSpace(16*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("recvmsg: %w", err)
		}
		nfds := 0
		if oobn > 0 {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil {
				return err
			}
			for _, m := range msgs {
				fds, err := unix.ParseUnixRights(&m)
				if err != nil {
					continue
				}
				for _, rfd := range fds {
					// Closing the write end of the barrier's pipe is
					// what the sender waits for.
					unix.Close(rfd)
					nfds++
				}
			}
		}
		var rec strings.Builder
		for _, line := range strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
			rec.WriteString(line)
			if nfds > 0 {
				fmt.Fprintf(&rec, " fds=%d", nfds)
			}
			rec.WriteByte('\n')
		}
		if _, err := f.WriteString(rec.String()); err != nil {
			return err
		}
	}
}

func send(msgs []string) error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return fmt.Errorf("NOTIFY_SOCKET is not set")
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, m := range msgs {
		if err := unix.Sendto(fd, []byte(m), 0, sockaddr(name)); err != nil {
			return fmt.Errorf("send to NOTIFY_SOCKET %s: %w", name, err)
		}
	}
	return nil
}

func activate(args []string) error {
	listenPid := os.Getpid()
	if len(args) >= 2 && args[0] == "-listen-pid" {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("-listen-pid %q: %w", args[1], err)
		}
		listenPid, args = n, args[2:]
	}
	var paths []string
	for len(args) > 0 && args[0] != "--" {
		paths, args = append(paths, args[0]), args[1:]
	}
	if len(args) < 2 || len(paths) == 0 {
		usage()
	}
	cmd := args[1:]
	// Made above the target numbers first, then moved into place, so that
	// a socket that happens to get fd 4 is not overwritten by the first.
	var fds []int
	for _, p := range paths {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, sockaddr(p)); err != nil {
			return fmt.Errorf("bind %s: %w", p, err)
		}
		if err := unix.Listen(fd, 8); err != nil {
			return fmt.Errorf("listen %s: %w", p, err)
		}
		high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 100)
		if err != nil {
			return err
		}
		unix.Close(fd)
		fds = append(fds, high)
	}
	for i, fd := range fds {
		// dup3 without O_CLOEXEC: these are the fds COMMAND inherits.
		if err := unix.Dup3(fd, 3+i, 0); err != nil {
			return err
		}
		unix.Close(fd)
	}
	env := append(os.Environ(), "LISTEN_FDS="+strconv.Itoa(len(fds)), "LISTEN_PID="+strconv.Itoa(listenPid))
	path := cmd[0]
	if !strings.Contains(path, "/") {
		for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
			if unix.Access(dir+"/"+path, unix.X_OK) == nil {
				path = dir + "/" + path
				break
			}
		}
	}
	return syscall.Exec(path, cmd, env)
}

func serve() error {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	fmt.Printf("LISTEN_FDS=%s LISTEN_PID=%s pid=%d\n", os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"), os.Getpid())
	if err != nil {
		return fmt.Errorf("LISTEN_FDS %q: %w", os.Getenv("LISTEN_FDS"), err)
	}
	for fd := 3; fd < 3+n; fd++ {
		typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil {
			return fmt.Errorf("fd %d: not a socket: %w", fd, err)
		}
		acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		if err != nil {
			return fmt.Errorf("fd %d: %w", fd, err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return fmt.Errorf("fd %d: %w", fd, err)
		}
		addr := "?"
		if u, ok := sa.(*unix.SockaddrUnix); ok {
			addr = u.Name
		}
		fmt.Printf("fd %d: stream=%t listening=%t addr=%s\n", fd, typ == unix.SOCK_STREAM, acc == 1, addr)
	}
	_ = os.Stdout.Sync()
	for fd := 3; fd < 3+n; fd++ {
		c, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		if err != nil {
			return fmt.Errorf("accept on fd %d: %w", fd, err)
		}
		_, _ = unix.Write(c, []byte(fmt.Sprintf("fd %d pid %d\n", fd, os.Getpid())))
		unix.Close(c)
	}
	return nil
}

func connect(path string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// Bounded: a test must fail, not hang, when nobody accepts.
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Connect(fd, sockaddr(path)); err != nil {
		return fmt.Errorf("connect %s: %w", path, err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if n == 0 {
			return nil
		}
		_, _ = os.Stdout.Write(buf[:n])
	}
}
