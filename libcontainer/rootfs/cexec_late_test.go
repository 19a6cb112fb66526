package rootfs

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/plan"
)

// The executor's own failures after a create plan's ready (a plan that
// ends without execve): the parent is gone, so they must reach start
// through exec.fifo, or the container's stderr before start came, not the
// closed sync socket. No config provokes them (the parent compiles every
// plan whole), so rootfsrun runs hand-made plans (it links the whole stage
// but nsexec.c; these tests live here for its harness).

// runCreatePlan runs p with `rootfsrun create` (through the command wrap,
// if any, which execs its arguments) and, when fifo is set, reads
// exec.fifo as start does. It returns what start read, the stage's stderr,
// its exit status and the messages on the sync socket.
func runCreatePlan(t *testing.T, p *plan.Plan, fifo bool, wrap ...string) (fromFifo, stderr string, status int, msgs []string) {
	t.Helper()
	bin := buildRootfsRun(t)
	dir := t.TempDir()
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pf, parent, child := planAndSocket(t, dir, b)
	defer func() { _ = parent.Close() }()
	args := append(wrap, bin, "create", pf)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.ExtraFiles = []*os.File{child} // fd 3
	fifoPath := filepath.Join(dir, "exec.fifo")
	if fifo {
		if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Open(fifoPath, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		h := os.NewFile(uintptr(fd), "fifo")
		defer func() { _ = h.Close() }()
		cmd.ExtraFiles = append(cmd.ExtraFiles, h) // fd 4
	}
	cmd.Env = []string{"ASAN_OPTIONS=detect_leaks=0"}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = child.Close()
	if fifo {
		// start: the open releases init, which writes its error
		f, err := os.OpenFile(fifoPath, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		fromFifo = string(got)
	}
	err = cmd.Wait()
	status = cmd.ProcessState.ExitCode()
	if err != nil && status < 0 {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(int(parent.Fd()), true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := parent.Read(buf)
		if err != nil || n == 0 {
			break
		}
		msgs = append(msgs, string(buf[:n]))
	}
	return fromFifo, errb.String(), status, msgs
}

// After start opened the fifo: start reads the cause (fifoFailed, "e").
func TestCPlanEndsAfterStart(t *testing.T) {
	p := plan.New()
	p.Add(plan.OpReady, "ready")
	p.Add(plan.OpFifoWait, "exec fifo", plan.U(4))
	fromFifo, stderr, status, msgs := runCreatePlan(t, p, true)
	if fromFifo != "eplan: the plan ended without execve" {
		t.Errorf("start read %q, want %q (stderr %q)", fromFifo, "eplan: the plan ended without execve", stderr)
	}
	if status != 127 {
		t.Errorf("exit status %d, want 127", status)
	}
	if len(msgs) != 1 || msgs[0] != `{"type":"ready"}` {
		t.Errorf("sync socket: %q, want only ready", msgs)
	}
}

// Before start came: the container's stderr, as other failures then.
func TestCPlanEndsBeforeStart(t *testing.T) {
	p := plan.New()
	p.Add(plan.OpReady, "ready")
	_, stderr, status, msgs := runCreatePlan(t, p, false)
	if !strings.Contains(stderr, "berth init: plan: the plan ended without execve\n") {
		t.Errorf("stderr %q, want berth init: plan: the plan ended without execve", stderr)
	}
	if status != 127 {
		t.Errorf("exit status %d, want 127", status)
	}
	if len(msgs) != 1 || msgs[0] != `{"type":"ready"}` {
		t.Errorf("sync socket: %q, want only ready", msgs)
	}
}

// Before ready nothing changes: the parent gets the error on the socket.
func TestCPlanEndsBeforeReady(t *testing.T) {
	p := plan.New()
	p.Add(plan.OpUmask, "process.umask", plan.U(0o22))
	_, stderr, status, msgs := runCreatePlan(t, p, false)
	want := `{"type":"error","step":"nsenter","msg":"the plan ended without execve"}`
	if len(msgs) != 1 || msgs[0] != want {
		t.Errorf("sync socket: %q, want %s (stderr %q)", msgs, want, stderr)
	}
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
}
