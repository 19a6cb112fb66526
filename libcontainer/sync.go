package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// The sync socket is a SOCK_SEQPACKET pair: one JSON message a packet, so no
// framing is needed and a console fd can ride along with SCM_RIGHTS.
//
// The whole conversation, in order; the parent checks every message init
// sends against syncOrder (sync_order.go), whose phases are on the left:
//
//	parent                          init (the C stage, running the plan)
//	bootstrap (mode, namespaces) ->
//	[waiting for the namespaces] <- nsenter        (nsenter/nsexec.c)
//	id maps, time offsets, cgroups
//	ack                          ->
//	[waiting for init's pid]     <- pid
//	plan (plan pipe)             ->
//	[preparing the rootfs]          mounts, /dev
//	                             <- mount-source   (create: per bind source init
//	open it, O_PATH (or make the                    cannot reach, and per id-mapped bind)
//	id-mapped clone: idmapmount.go)
//	mount-source-fd + fd         ->               (see mountsource.go)
//	                             <- hooks          (only if prestart/createRuntime exist)
//	run prestart, createRuntime
//	hooks-done                   ->
//	[past the create hooks]         createContainer hooks, pivot_root, the rest
//	                             <- console + fd   (only with process.terminal)
//	send it to --console-socket,
//	or keep it (ONLCR cleared)
//	console-done                 ->
//	[past the console]           <- warning        (any number, before ready)
//	say it (CreateOpts.Warn)
//	                             <- seccomp + fd   (only with SCMP_ACT_NOTIFY)
//	send it to listenerPath
//	seccomp-done                 ->
//	[past the seccomp listener]  <- ready
//	create: save state "created",   wait on exec.fifo, then execve; a failure
//	  exit                            from here goes to start through the fifo
//	exec: [waiting for execve]      the last steps, execve
//	                             <- warning, error, or EOF (execve closed the socket)
//
// Either side may send error instead; the parent reports it once and cleans up.
const (
	msgNsenter     = "nsenter"
	msgPid         = "pid"
	msgError       = "error"
	msgHooks       = "hooks"
	msgHooksDone   = "hooks-done"
	msgConsole     = "console"
	msgConsoleDone = "console-done"
	msgReady       = "ready"
	msgSeccomp     = "seccomp"
	msgSeccompDone = "seccomp-done"

	msgMountSource   = "mount-source"
	msgMountSourceFd = "mount-source-fd"

	// msgWarning carries what init ignored but the user should hear of
	// (capabilities it could not grant); nothing is answered.
	msgWarning = "warning"
)

type syncMsg struct {
	Type string `json:"type"`
	Pid  int    `json:"pid,omitempty"`
	Step string `json:"step,omitempty"`
	Msg  string `json:"msg,omitempty"`
	// Errno is set by the C stage's executor (nsenter/exec.c): the
	// error number its message ends with, worded here as Go words it.
	Errno int `json:"errno,omitempty"`
}

// initError is an error raised in the container's init, with the step that
// failed; it is reported once, by the parent.
type initError struct {
	Step string
	Msg  string
}

func (e *initError) Error() string {
	if e.Step == "" {
		return e.Msg
	}
	return e.Step + ": " + e.Msg
}

// errInitExited means the init went away without saying why.
var errInitExited = errors.New("container init exited prematurely")

func sendMsg(sock *os.File, m syncMsg, fd int) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	for {
		err = unix.Sendmsg(int(sock.Fd()), b, oob, nil, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("send %s message: %w", m.Type, err)
	}
	return nil
}

// recvMsg reads one message and any fd sent with it (-1 if none). An
// "error" message is returned as an *initError.
func recvMsg(sock *os.File) (syncMsg, int, error) {
	var m syncMsg
	buf := make([]byte, 64*1024)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return m, -1, fmt.Errorf("read sync socket: %w", err)
	}
	if n == 0 {
		return m, -1, errInitExited
	}
	fd := -1
	if oobn > 0 {
		if cmsgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil && len(cmsgs) > 0 {
			if fds, perr := unix.ParseUnixRights(&cmsgs[0]); perr == nil && len(fds) > 0 {
				fd = fds[0]
			}
		}
	}
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		// Quote only the start: a broken init may send up to a packet of junk.
		shown := buf[:min(n, 128)]
		return m, fd, fmt.Errorf("malformed sync message %q (%d bytes): %w", shown, n, err)
	}
	if m.Errno != 0 {
		m.Msg += ": " + unix.Errno(m.Errno).Error()
	}
	if m.Type == msgError {
		return m, fd, &initError{Step: clip(m.Step, maxStepLen), Msg: clip(m.Msg, maxErrLen)}
	}
	return m, fd, nil
}

// A broken init may send a packet of text as its error: berth reports at
// most this much of it (a real step name and error are far shorter).
const (
	maxStepLen = 128
	maxErrLen  = 1536
)

// clip cuts s to at most n bytes, at a character boundary, saying so.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes in all)", len(s))
}
