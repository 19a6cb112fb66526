package rootfs

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/plan"
)

// The hooks a container's init runs itself (hooks.c), where the host is
// unusual: a SIGCHLD ignore inherited from the caller, a kernel without
// close_range. rootfsrun runs a hand-made create plan with one
// createContainer hook, under bash, which sets up what the test needs and
// execs it.

// hookStep adds a createContainer hook step: argv[0] run as path, with
// timeout seconds (0: none), no env.
func hookStep(p *plan.Plan, timeout uint64, argv ...string) {
	items := []plan.Item{
		plan.S("createContainer"), plan.S(""), plan.S(`{"pid":`), plan.S(`}`), plan.U(1),
		plan.S(argv[0]), plan.U(timeout), plan.U(uint64(len(argv))),
	}
	for _, a := range argv {
		items = append(items, plan.S(a))
	}
	p.Add(plan.OpHooks, "hooks", append(items, plan.U(0))...)
}

// stageError is the error message the stage sent on the sync socket.
type stageError struct {
	Step, Msg string
	Errno     int
}

func onlyError(t *testing.T, msgs []string, stderr string) stageError {
	t.Helper()
	var e stageError
	if len(msgs) != 1 || json.Unmarshal([]byte(msgs[0]), &e) != nil {
		t.Fatalf("sync socket: %q, want one error (stderr %q)", msgs, stderr)
	}
	return e
}

func needBash(t *testing.T) string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found: it sets up the hooks' surroundings here")
	}
	return bash
}

// With SIGCHLD ignored (inherited across execve), the kernel reaps the hook
// itself and waitpid fails with ECHILD: that is an error of the hook, at
// once, where the stage used to poll until the hook's timeout (for ever
// without one).
func TestCHookWaitFails(t *testing.T) {
	bash := needBash(t)
	p := plan.New()
	hookStep(p, 30, "/bin/sh", "-c", "exit 0")
	_, stderr, status, msgs := runCreatePlan(t, p, false, bash, "-c", `trap "" CHLD; exec "$@"`, "bash")
	e := onlyError(t, msgs, stderr)
	want := "error running createContainer hook #0: /bin/sh: wait"
	if e.Step != "hooks" || e.Msg != want || e.Errno != int(unix.ECHILD) {
		t.Errorf("got %+v, want step hooks, %q, errno ECHILD", e, want)
	}
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
}

// closeRangeENOSYS is a seccomp filter under which close_range (436 on
// every architecture) fails with ENOSYS, as on kernels before 5.9.
func closeRangeENOSYS() []byte {
	const closeRange = 436
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: closeRange},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	var b []byte
	for _, in := range prog {
		b = binary.LittleEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return b
}

// Without close_range, a hook still gets only its stdio: an fd of the
// stage far above 1023 (a large --preserve-fds) does not reach it, where
// the fallback closed only up to 1023.
func TestCHookFdsWithoutCloseRange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading a seccomp filter without no_new_privs needs root")
	}
	bash := needBash(t)
	for _, noCloseRange := range []bool{true, false} {
		p := plan.New()
		if noCloseRange {
			p.Add(plan.OpSeccomp, "linux.seccomp", plan.U(0), plan.Raw(closeRangeENOSYS()))
		}
		// ls holds its own fd of the directory it lists (3).
		hookStep(p, 30, "/bin/sh", "-c", "ls /proc/self/fd; exit 3")
		_, stderr, _, msgs := runCreatePlan(t, p, false, bash, "-c", `exec 2000</dev/null 1500<>/dev/null; exec "$@"`, "bash")
		e := onlyError(t, msgs, stderr)
		_, list, ok := strings.Cut(e.Msg, "exit status 3: ")
		if !ok {
			t.Fatalf("close_range missing %v: %+v, want the hook's exit status 3 and its output", noCloseRange, e)
		}
		for _, f := range strings.Fields(list) {
			if n, err := strconv.Atoi(f); err != nil || n > 3 {
				t.Errorf("close_range missing %v: the hook had fd %s (its fds: %s)", noCloseRange, f, strings.Join(strings.Fields(list), " "))
			}
		}
	}
}
