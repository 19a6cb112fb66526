package rootfs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// The C executor of the rootfs steps, run against scratch roots without a
// container: nsenter/testdata/rootfsrun runs a plan compiled here in a
// new mount namespace, and the test reads back what it mounted.

var (
	rootfsRunOnce sync.Once
	rootfsRunBin  string
	rootfsRunErr  error
	rootfsRunDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if rootfsRunDir != "" {
		_ = os.RemoveAll(rootfsRunDir)
	}
	os.Exit(code)
}

// buildRootfsRun compiles the driver with the C stage's rootfs files, with
// the address and undefined-behaviour sanitizers when the compiler has them.
func buildRootfsRun(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found: the C executor is not tested here (berth's build needs it, scripts/deps.sh installs it)")
	}
	rootfsRunOnce.Do(func() {
		if rootfsRunDir, rootfsRunErr = os.MkdirTemp("", "rootfsrun"); rootfsRunErr != nil {
			return
		}
		out := filepath.Join(rootfsRunDir, "rootfsrun")
		// Every file of the stage but nsexec.c, whose entry point the
		// driver replaces: the steps call the executor's helpers.
		src, err := filepath.Glob("../../nsenter/*.c")
		if err != nil {
			rootfsRunErr = err
			return
		}
		for i := 0; i < len(src); i++ {
			if filepath.Base(src[i]) == "nsexec.c" {
				src = append(src[:i], src[i+1:]...)
				i--
			}
		}
		src = append(src, "../../nsenter/testdata/rootfsrun.c")
		for _, flags := range [][]string{{"-fsanitize=address,undefined", "-fno-sanitize-recover=all"}, nil} {
			args := append([]string{"-Wall", "-Werror", "-O1", "-g", "-o", out}, flags...)
			b, err := exec.Command(cc, append(args, src...)...).CombinedOutput()
			if err == nil {
				rootfsRunBin = out
				return
			} else if flags == nil {
				rootfsRunErr = fmt.Errorf("build rootfsrun: %w\n%s", err, b)
			}
		}
	})
	if rootfsRunErr != nil {
		t.Fatal(rootfsRunErr)
	}
	return rootfsRunBin
}

// result is what one run of a plan left.
type result struct {
	out    string           // the checks' lines
	mounts []mountinfo.Info // as the new root sees them
	err    string           // the step's error, as the parent words it
	field  string           // the step that failed
	debug  string
	raw    []string // the messages on the sync socket
}

// runPlan compiles cfg's rootfs steps and runs them in a new mount namespace.
func runPlan(t *testing.T, cfg *configs.Config, checks ...string) result {
	t.Helper()
	return runPlanBytes(t, compileRootfs(t, cfg), checks...)
}

// compileRootfs is cfg's rootfs steps (CompilePrepare, CompileEnter,
// CompileProtect, in the create executor's order), encoded.
func compileRootfs(t *testing.T, cfg *configs.Config) []byte {
	t.Helper()
	p := plan.New()
	for _, c := range []func(*configs.Config, *plan.Plan) error{CompilePrepare, CompileEnter, CompileProtect} {
		if err := c(cfg, p); err != nil {
			t.Fatalf("compile: %v", err)
		}
	}
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// planAndSocket writes an encoded plan into dir for rootfsrun and makes the
// sync socket: the test's end (parent) and the stage's (child, for fd 3).
func planAndSocket(t *testing.T, dir string, b []byte) (pf string, parent, child *os.File) {
	t.Helper()
	pf = filepath.Join(dir, "plan")
	if err := os.WriteFile(pf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pf, os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
}

// runPlanBytes runs an encoded plan with rootfsrun, the test standing in
// for berth's parent on the sync socket.
func runPlanBytes(t *testing.T, b []byte, checks ...string) result {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	bin := buildRootfsRun(t)
	pf, parent, child := planAndSocket(t, t.TempDir(), b)
	defer func() { _ = parent.Close() }()
	cmd := exec.Command(bin, append([]string{"run", pf}, checks...)...)
	cmd.ExtraFiles = []*os.File{child}
	cmd.Env = []string{"ASAN_OPTIONS=detect_leaks=0"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: unix.CLONE_NEWNS}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	_ = child.Close()
	var r result
	r.debug = stderr.String()
	if err := unix.SetNonblock(int(parent.Fd()), true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	for {
		n, err := parent.Read(buf)
		if err != nil || n == 0 {
			break
		}
		var m struct {
			Type, Step, Msg string
			Errno           int
		}
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			t.Fatalf("malformed message %q: %v", buf[:n], err)
		}
		r.raw = append(r.raw, string(buf[:n]))
		if m.Type == "error" {
			r.field, r.err = m.Step, m.Msg
			if m.Errno != 0 {
				r.err += ": " + unix.Errno(m.Errno).Error()
			}
		}
	}
	if r.err != "" {
		if runErr == nil {
			t.Fatalf("the step failed (%s: %s) but the driver exited 0", r.field, r.err)
		}
		return r
	}
	if runErr != nil {
		t.Fatalf("rootfsrun: %v\n%s", runErr, stderr.String())
	}
	out, mi, ok := strings.Cut(stdout.String(), "mountinfo\n")
	if !ok {
		t.Fatalf("rootfsrun printed no mountinfo:\n%s", stdout.String())
	}
	r.out = out
	var err error
	if r.mounts, err = mountinfo.Parse(strings.NewReader(mi)); err != nil {
		t.Fatal(err)
	}
	return r
}

// scratch makes a rootfs with the given directories, files ("name=text")
// and symlinks ("name->target").
func scratch(t *testing.T, entries ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		if name, target, ok := strings.Cut(e, "->"); ok {
			mkdirs(t, filepath.Dir(filepath.Join(root, name)))
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
		} else if name, text, ok := strings.Cut(e, "="); ok {
			mkdirs(t, filepath.Dir(filepath.Join(root, name)))
			if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			mkdirs(t, filepath.Join(root, e))
		}
	}
	return root
}

func mkdirs(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func newConfig(root string, mounts ...configs.Mount) *configs.Config {
	return &configs.Config{
		Rootfs:     root,
		Namespaces: []configs.Namespace{{Type: "mount", Flag: unix.CLONE_NEWNS}},
		Mounts:     mounts,
		Process:    configs.Process{Cwd: "/"},
	}
}

// mountAt is the last (top) mount at mp.
func mountAt(r result, mp string) *mountinfo.Info {
	var top *mountinfo.Info
	for i := range r.mounts {
		if r.mounts[i].MountPoint == mp {
			top = &r.mounts[i]
		}
	}
	return top
}

func hasOpt(in *mountinfo.Info, opt string) bool {
	for _, o := range strings.Split(in.Options, ",") {
		if o == opt {
			return true
		}
	}
	return false
}
