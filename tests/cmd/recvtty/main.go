// Command recvtty is a test helper for berth's integration tests: it plays the caller's
// side of `--console-socket`.
//
// Usage:
//
//	recvtty [-input STRING] [-name-file FILE] [-timeout DURATION] SOCKET
//
// It listens on the unix socket SOCKET, accepts ONE connection, receives ONE file
// descriptor over it with SCM_RIGHTS (the pty master the runtime made for the
// container; the message payload is the pty's name), optionally writes STRING to the
// pty (the container's terminal input), and copies everything the container writes to
// the terminal to stdout. It exits 0 when the pty is closed (the last slave fd went away:
// reads fail with EIO), and non-zero on any protocol error or after the timeout.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	input := flag.String("input", "", "write this to the pty once it is received")
	nameFile := flag.String("name-file", "", "write the pty name sent with the fd to this file")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	pidfd := flag.Bool("pidfd", false, "the fd is a pidfd (--pidfd-socket): print \"pid N\" of the process it refers to and exit")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: recvtty [-input S] [-name-file F] [-timeout D] SOCKET")
		os.Exit(2)
	}
	time.AfterFunc(*timeout, func() {
		fmt.Fprintln(os.Stderr, "recvtty: timed out")
		os.Exit(3)
	})
	if *pidfd {
		if err := runPidfd(flag.Arg(0)); err != nil {
			fmt.Fprintln(os.Stderr, "recvtty:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(flag.Arg(0), *input, *nameFile); err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
}

func run(path, input, nameFile string) error {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	conn, err := ln.AcceptUnix()
	_ = ln.Close() // one connection only; this also removes the socket file
	if err != nil {
		return err
	}
	pty, name, err := receiveFd(conn)
	_ = conn.Close()
	if err != nil {
		return err
	}
	defer func() { _ = pty.Close() }()
	if nameFile != "" {
		if err := os.WriteFile(nameFile, []byte(name+"\n"), 0o644); err != nil {
			return err
		}
	}
	if input != "" {
		if _, err := io.WriteString(pty, input); err != nil {
			return fmt.Errorf("write input: %w", err)
		}
	}
	_, err = io.Copy(os.Stdout, pty)
	// The master reports EIO once no slave fd is left open: the container is done.
	if err != nil && !errors.Is(err, unix.EIO) {
		return fmt.Errorf("read pty: %w", err)
	}
	return nil
}

// runPidfd receives a pidfd and prints the pid it refers to, from the
// "Pid:" line of its fdinfo (the kernel's own answer, not the payload).
func runPidfd(path string) error {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	conn, err := ln.AcceptUnix()
	_ = ln.Close()
	if err != nil {
		return err
	}
	f, _, err := receiveFd(conn)
	_ = conn.Close()
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(info), "\n") {
		if rest, ok := strings.CutPrefix(line, "Pid:"); ok {
			fmt.Println("pid", strings.TrimSpace(rest))
			return nil
		}
	}
	return fmt.Errorf("fd is not a pidfd: %q", info)
}

// receiveFd reads one message carrying exactly one fd in an SCM_RIGHTS control message.
func receiveFd(conn *net.UnixConn) (*os.File, string, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4)) // room for a few fds, to detect extra ones
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, "", fmt.Errorf("recvmsg: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, "", fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		rights, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return nil, "", fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, rights...)
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, "", fmt.Errorf("got %d fds, want exactly 1", len(fds))
	}
	name := string(buf[:n])
	return os.NewFile(uintptr(fds[0]), name), name, nil
}
