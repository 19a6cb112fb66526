package libcontainer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/criurpc"
	"github.com/berth-runtime/berth/internal/logs"
)

// CRIU is driven as runc drives it: `criu swrk 3` is started with one end
// of a SOCK_SEQPACKET socketpair as its fd 3, and berth sends it one
// CriuReq (protobuf) and reads CriuResp messages back:
//
//	berth                      criu swrk
//	  | --- CriuReq{DUMP|...} ---> |
//	  | <-- CriuResp{NOTIFY} ----- |  a "script" point (setup-namespaces,
//	  | --- CriuReq{NOTIFY ok} --> |  post-restore, orphan-pts-master, ...)
//	  |          ...               |
//	  | <-- CriuResp{DUMP|...} --- |  the result: success, or errno + errmsg
//
// On restore the restored tree becomes berth's child (rst_sibling), and
// swrk's own stdio is what the restored process inherits for the pipes
// descriptors.json names.

// ErrCriuMissing: no criu binary in $PATH.
var ErrCriuMissing = errors.New("criu binary not found in $PATH: checkpoint and restore need CRIU (Debian: apt-get install criu)")

// criuBinary finds criu in $PATH.
func criuBinary() (string, error) {
	p, err := exec.LookPath("criu")
	if err != nil {
		return "", ErrCriuMissing
	}
	return p, nil
}

// criuCheck runs `criu check`: CRIU refuses to run at all where the kernel
// lacks what it needs (on kernels newer than it knows, often the vDSO
// layout), and its own words say what is wrong better than any errno of
// the dump would.
func criuCheck(bin string) error {
	out, err := exec.Command(bin, "check").CombinedOutput()
	if err == nil {
		return nil
	}
	reason := criuErrorLines(out, 4)
	if reason == "" {
		reason = strings.TrimSpace(string(out))
	}
	return fmt.Errorf("criu check (%s) fails on this host, so CRIU cannot checkpoint or restore here: %s: %w", bin, reason, err)
}

// criuErrorLines is the first max lines of CRIU output that say "Error",
// joined with "; ".
func criuErrorLines(b []byte, max int) string {
	var got []string
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() && len(got) < max {
		if l := strings.TrimSpace(s.Text()); strings.Contains(l, "Error") {
			got = append(got, l)
		}
	}
	return strings.Join(got, "; ")
}

// criuLogErrors quotes the errors of CRIU's log file (in the work
// directory), so that a failed dump or restore says why without a hunt
// for the log.
func criuLogErrors(dir, file string) string {
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if e := criuErrorLines(b, 3); e != "" {
		return fmt.Sprintf(" (%s: %s)", path, e)
	}
	return fmt.Sprintf(" (see %s)", path)
}

// swrk is one `criu swrk` session.
type swrk struct {
	bin string
	// stdio of the criu process: on restore, what the restored process
	// inherits in place of the pipes it had (nil: berth's own).
	stdin, stdout, stderr *os.File
	// extra files, at fds 4 on (external namespaces on restore)
	extra []*os.File
	// started, if set, runs once criu has started (cgroups on restore).
	started func(pid int) error
	// notify handles a notification; fd is the one that came with it, or -1.
	notify func(script string, pid int, fd int) error
}

// run sends req to a new criu swrk and reads its answers until the result.
func (s *swrk) run(req *criurpc.CriuReq) (*criurpc.CriuResp, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair for criu: %w", err)
	}
	client := os.NewFile(uintptr(fds[0]), "criu-client")
	server := os.NewFile(uintptr(fds[1]), "criu-server")
	defer func() { _ = client.Close() }()
	cmd := exec.Command(s.bin, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.stdin, s.stdout, s.stderr
	if s.stdin == nil {
		cmd.Stdin = os.Stdin
	}
	if s.stdout == nil {
		cmd.Stdout = os.Stdout
	}
	if s.stderr == nil {
		cmd.Stderr = os.Stderr
	}
	cmd.ExtraFiles = append([]*os.File{server}, s.extra...)
	if err := cmd.Start(); err != nil {
		_ = server.Close()
		return nil, fmt.Errorf("start %s swrk: %w", s.bin, err)
	}
	// Closed here, so that a crash of criu ends our reads with EOF.
	_ = server.Close()
	waited := false
	defer func() {
		if !waited {
			_ = client.Close()
			_, _ = cmd.Process.Wait()
		}
	}()
	if s.started != nil {
		if err := s.started(cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	logs.Debugf("criu swrk %d: %s request", cmd.Process.Pid, req.GetType())
	if err := s.send(client, req); err != nil {
		return nil, err
	}
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var resp *criurpc.CriuResp
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(client.Fd()), buf, oob, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read from criu: %w", err)
		}
		if n == 0 {
			return nil, errors.New("criu exited without an answer")
		}
		fd := recvdFd(oob[:oobn])
		r := new(criurpc.CriuResp)
		if err := criurpc.Unmarshal(buf[:n], r); err != nil {
			closeFd(fd)
			return nil, fmt.Errorf("criu's answer: %w", err)
		}
		if !r.GetSuccess() {
			closeFd(fd)
			msg := r.GetCrErrmsg()
			if msg == "" {
				msg = "no message"
			}
			return r, fmt.Errorf("criu %s failed: %s (errno %d)", r.GetType(), msg, r.GetCrErrno())
		}
		if r.GetType() != criurpc.CriuReqType_NOTIFY {
			closeFd(fd)
			resp = r
			break
		}
		nt := r.GetNotify()
		logs.Debugf("criu notify %s pid %d", nt.GetScript(), nt.GetPid())
		if s.notify != nil {
			if err := s.notify(nt.GetScript(), int(nt.GetPid()), fd); err != nil {
				return nil, fmt.Errorf("criu %s: %w", nt.GetScript(), err)
			}
		} else {
			closeFd(fd)
		}
		t := criurpc.CriuReqType_NOTIFY
		if err := s.send(client, &criurpc.CriuReq{Type: &t, NotifySuccess: criurpc.Bool(true)}); err != nil {
			return nil, err
		}
	}
	_ = unix.Shutdown(int(client.Fd()), unix.SHUT_WR)
	st, err := cmd.Process.Wait()
	waited = true
	if err != nil {
		return nil, fmt.Errorf("wait for criu: %w", err)
	}
	// A pre-dump's criu waits for more requests and ends when we hang
	// up: its exit status does not count.
	if !st.Success() && req.GetType() != criurpc.CriuReqType_PRE_DUMP {
		return nil, fmt.Errorf("criu swrk: %s", st)
	}
	return resp, nil
}

func (s *swrk) send(client *os.File, req *criurpc.CriuReq) error {
	if _, err := client.Write(criurpc.Marshal(req)); err != nil {
		return fmt.Errorf("write to criu: %w", err)
	}
	return nil
}

// recvdFd is the first fd passed with SCM_RIGHTS in oob, or -1.
func recvdFd(oob []byte) int {
	if len(oob) == 0 {
		return -1
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1
	}
	fd := -1
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, f := range fds {
			if fd < 0 {
				fd = f
			} else {
				unix.Close(f)
			}
		}
	}
	return fd
}

func closeFd(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// criuCgMode turns --manage-cgroups-mode into CRIU's mode.
func criuCgMode(mode string) (criurpc.CriuCgMode, error) {
	switch mode {
	case "":
		return criurpc.CriuCgMode_DEFAULT, nil
	case "soft":
		return criurpc.CriuCgMode_SOFT, nil
	case "full":
		return criurpc.CriuCgMode_FULL, nil
	case "strict":
		return criurpc.CriuCgMode_STRICT, nil
	case "ignore":
		return criurpc.CriuCgMode_IGNORE, nil
	}
	return 0, fmt.Errorf("--manage-cgroups-mode %q: want soft, full, strict or ignore", mode)
}

// criuEmptyNs turns --empty-ns names into clone flags.
func criuEmptyNs(names []string) (uint32, error) {
	var flags uint32
	for _, n := range names {
		switch n {
		case "network", "net":
			flags |= unix.CLONE_NEWNET
		default:
			// CRIU itself only leaves the network namespace empty.
			return 0, fmt.Errorf("--empty-ns %q: only the network namespace can be left empty", n)
		}
	}
	return flags, nil
}
