// Command seccompagent is a test helper for berth's integration tests: a seccomp
// notify agent, the other end of linux.seccomp.listenerPath (runtime-spec
// config-linux.md, "Seccomp" and "The Container Process State").
//
// Usage:
//
//	seccompagent [-state FILE] [-log FILE] [-timeout DURATION] SOCKET
//
// It listens on the unix socket SOCKET. For each connection (one per container process
// that loads a filter with SCMP_ACT_NOTIFY: create, and every exec) it reads ONE message:
// the container process state as JSON, with the listener fd(s) passed by SCM_RIGHTS in
// the order of its "fds" array. The JSON goes to -state, one line a connection. Then it
// answers the notifications of the "seccompFd" listener until the filter has no process
// left. mkdir and mkdirat are answered by the base name of their path:
//
//	allow*   the kernel runs the call (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
//	fake*    success (0), though nothing is made
//	other    the error EXFULL ("Exchange full", an errno nothing else would give)
//
// any other syscall with ENOSYS. Each answer is logged to -log as "SYSCALL PATH ANSWER".
// It exits after -timeout, or on SIGTERM.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

var (
	mu     sync.Mutex
	stateW *os.File
	logW   *os.File
)

func main() {
	statePath := flag.String("state", "", "append each received container process state (JSON) here")
	logPath := flag.String("log", "", "append each answer here")
	timeout := flag.Duration("timeout", 60*time.Second, "exit after this long")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: seccompagent [-state FILE] [-log FILE] [-timeout D] SOCKET")
		os.Exit(2)
	}
	stateW = openAppend(*statePath)
	logW = openAppend(*logPath)
	time.AfterFunc(*timeout, func() { os.Exit(0) })
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: flag.Arg(0), Net: "unix"})
	if err != nil {
		fail("listen: %v", err)
	}
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			fail("accept: %v", err)
		}
		go serve(c)
	}
}

func openAppend(p string) *os.File {
	if p == "" {
		return nil
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fail("%v", err)
	}
	return f
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "seccompagent: "+format+"\n", a...)
	os.Exit(1)
}

func record(w *os.File, line string) {
	if w == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	_, _ = fmt.Fprintln(w, line)
}

// serve reads the state message of one connection and answers its listener.
func serve(c *net.UnixConn) {
	defer func() { _ = c.Close() }()
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*8))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		fail("read state: %v", err)
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		fail("parse control message: %v", err)
	}
	for _, m := range msgs {
		rights, err := unix.ParseUnixRights(&m)
		if err != nil {
			fail("parse rights: %v", err)
		}
		fds = append(fds, rights...)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		fail("state is not JSON: %v: %q", err, buf[:n])
	}
	record(stateW, string(bytes.TrimSpace(buf[:n])))
	if len(st.Fds) != len(fds) {
		fail("state names %d fds, %d received", len(st.Fds), len(fds))
	}
	for i, name := range st.Fds {
		if name == specs.SeccompFdName {
			answer(libseccomp.ScmpFd(fds[i]))
			return
		}
	}
	fail("no %q among the fds %v", specs.SeccompFdName, st.Fds)
}

// answer handles the notifications of one listener until it has no process left.
func answer(fd libseccomp.ScmpFd) {
	defer unix.Close(int(fd))
	for {
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
				// the process went away before we got it; or a signal
				continue
			}
			// the filter has no process left (or the fd is gone)
			return
		}
		name, _ := req.Data.Syscall.GetName()
		path := ""
		switch name {
		case "mkdir":
			path = readString(req.Pid, req.Data.Args[0])
		case "mkdirat":
			path = readString(req.Pid, req.Data.Args[1])
		}
		// What was read belongs to the process only if the request is still pending
		// (seccomp_unotify(2): the pid may have been reused meanwhile).
		if libseccomp.NotifIDValid(fd, req.ID) != nil {
			continue
		}
		resp := &libseccomp.ScmpNotifResp{ID: req.ID}
		verdict := ""
		base := filepath.Base(path)
		switch {
		case path == "":
			resp.Error, verdict = int32(unix.ENOSYS), "ENOSYS"
		case strings.HasPrefix(base, "allow"):
			resp.Flags, verdict = libseccomp.NotifRespFlagContinue, "CONTINUE"
		case strings.HasPrefix(base, "fake"):
			verdict = "FAKE-SUCCESS"
		default:
			resp.Error, verdict = int32(unix.EXFULL), "EXFULL"
		}
		if err := libseccomp.NotifRespond(fd, resp); err != nil {
			verdict += " (respond: " + err.Error() + ")"
		}
		record(logW, fmt.Sprintf("%s %s %s", name, path, verdict))
	}
}

// readString reads a NUL-terminated string at addr in process pid's memory.
func readString(pid uint32, addr uint64) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, unix.PathMax)
	n, _ := f.ReadAt(b, int64(addr))
	if i := bytes.IndexByte(b[:n], 0); i >= 0 {
		return string(b[:i])
	}
	return ""
}
