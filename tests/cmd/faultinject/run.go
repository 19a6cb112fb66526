package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/tests/internal/leak"
)

// env is what every phase works with.
type env struct {
	bundle, root, dir string
	idPrefix          string
	scope             *leak.Scope
	seq               int
}

// newID is a fresh container ID for a case (a leak of one case must not make the next
// fail on "already exists").
func (e *env) newID() string {
	e.seq++
	return e.idPrefix + "-" + strconv.Itoa(e.seq)
}

func (e *env) file(name string) string { return filepath.Join(e.dir, name) }

// berth runs berth with the test's root, untraced, with a timeout; its stdout and
// stderr go to out.{out,err} (the container of create and run inherits them).
func (e *env) berth(out string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthPath, append([]string{"--root", e.root}, args...)...)
	o, err := os.OpenFile(out+".out", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	defer func() { _ = o.Close() }()
	eb, err := os.OpenFile(out+".err", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	defer func() { _ = eb.Close() }()
	cmd.Stdout, cmd.Stderr = o, eb
	err = cmd.Run()
	b, _ := os.ReadFile(out + ".err")
	if err != nil {
		return string(b), fmt.Errorf("berth %s: %w: %s", strings.Join(args, " "), err, b)
	}
	return string(b), nil
}

// result is how a traced berth command ended.
type result struct {
	exit     string // "exited with N" or "killed by SIG"
	code     int    // N, or -1 if killed
	hang     bool
	stdout   string
	stderr   string
	injected []string // the signatures of the calls strace failed
}

// traced is one strace run.
type traced struct {
	cmd    *exec.Cmd
	prefix string // strace -ff -o prefix: prefix.PID per tracee
	target int    // the pid whose end we wait for
}

// straceCmd runs berth ARGS under strace OPTS; stdout and stderr to out.{out,err}.
func (e *env) straceCmd(prefix, out string, opts []string, args ...string) (*traced, error) {
	all := append([]string{"-f", "-ff", "-q", "-y", "-o", prefix}, opts...)
	all = append(all, "--", berthPath, "--root", e.root)
	all = append(all, args...)
	cmd := exec.Command("strace", all...)
	o, err := os.OpenFile(out+".out", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer func() { _ = o.Close() }()
	eb, err := os.OpenFile(out+".err", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer func() { _ = eb.Close() }()
	cmd.Stdout, cmd.Stderr = o, eb
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The target is found by its trace file: the one that starts with strace
	// executing berth (strace forks probes of its own before it starts the command).
	return &traced{cmd: cmd, prefix: prefix}, nil
}

// findTarget finds the traced command's pid (0 if not yet).
func (t *traced) findTarget() int {
	if t.target != 0 {
		return t.target
	}
	files, _ := filepath.Glob(t.prefix + ".*")
	want := "execve(\"" + berthPath + "\""
	for _, f := range files {
		b := make([]byte, len(want))
		fd, err := os.Open(f)
		if err != nil {
			continue
		}
		n, _ := fd.Read(b)
		_ = fd.Close()
		if string(b[:n]) == want {
			t.target, _ = strconv.Atoi(f[strings.LastIndexByte(f, '.')+1:])
		}
	}
	return t.target
}

// straceAttach attaches strace OPTS to every thread of pid (a created container's
// init) and returns once they are all traced.
func straceAttach(prefix string, opts []string, pid int) (*traced, error) {
	all := append([]string{"-f", "-ff", "-q", "-y", "-o", prefix}, opts...)
	all = append(all, "-p", strconv.Itoa(pid))
	cmd := exec.Command("strace", all...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &traced{cmd: cmd, prefix: prefix, target: pid}
	for i := 0; i < 2000; i++ {
		// (init, blocked opening exec.fifo, restarts the open when strace
		// stops it: a fault in that open ends it at once)
		if allTraced(pid, cmd.Process.Pid) || !alive(pid) {
			return t, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.stop()
	return nil, fmt.Errorf("strace did not attach to %d", pid)
}

func allTraced(pid, tracer int) bool {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		if !strings.Contains(string(b), fmt.Sprintf("TracerPid:\t%d\n", tracer)) {
			return false
		}
	}
	return true
}

// alive: pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

var reEnd = regexp.MustCompile(`\+\+\+ (exited with (\d+)|killed by (\S+)).*\+\+\+`)

// wait waits up to timeout for the target to end and reads how: strace writes it to the
// target's file.
func (t *traced) wait(timeout time.Duration) (exit string, code int, ok bool) {
	deadline := time.Now().Add(timeout)
	for d := time.Millisecond; time.Now().Before(deadline); d = min(2*d, 20*time.Millisecond) {
		if t.findTarget() == 0 {
			time.Sleep(d)
			continue
		}
		b, _ := os.ReadFile(t.prefix + "." + strconv.Itoa(t.target))
		if m := reEnd.FindStringSubmatch(string(b)); m != nil {
			if m[2] != "" {
				code, _ = strconv.Atoi(m[2])
				return m[1], code, true
			}
			return m[1], -1, true
		}
		time.Sleep(d)
	}
	return "", 0, false
}

// done waits up to timeout for strace to end (every tracee gone).
func (t *traced) done(timeout time.Duration) bool {
	ch := make(chan struct{})
	go func() {
		_ = t.cmd.Wait()
		close(ch)
	}()
	select {
	case <-ch:
		return true
	case <-time.After(timeout):
		t.stop()
		<-ch
		return false
	}
}

// stop detaches strace from its tracees (SIGTERM), which then run on untraced. (Go
// signals a started process through a pidfd: a late SIGKILL cannot reach another
// process that got the pid.)
func (t *traced) stop() {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	p := t.cmd.Process
	go func() {
		time.Sleep(5 * time.Second)
		_ = p.Signal(syscall.SIGKILL)
	}()
}

// detach stops strace and waits for it.
func (t *traced) detach() {
	t.stop()
	_ = t.cmd.Wait()
}

// injected lists the calls strace failed in this run, as they were traced.
func (t *traced) injected() []string {
	files, _ := filepath.Glob(t.prefix + ".*")
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(l, "(INJECTED)") {
				out = append(out, l)
			}
		}
	}
	return out
}

// leakCheck: nothing new since before, retrying for a while (a reaper gets to its dead
// child, a cgroup empties, a moment after berth returns).
func (e *env) leakCheck(before []string) []string {
	var d []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		d = leak.Diff(before, e.scope.Snapshot())
		if len(d) == 0 || time.Now().After(deadline) {
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cleanAfter removes what is new since before, after a failed check, so that one case
// does not spill into the next.
func (e *env) cleanAfter(before []string) {
	d := leak.Diff(before, e.scope.Snapshot())
	for _, l := range d {
		f := strings.SplitN(l, "\t", 3)
		if pid, ok := leak.Killable(l); ok {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		switch f[0] {
		case "mount":
			_ = unix.Unmount(f[1], unix.MNT_DETACH)
		}
	}
	time.Sleep(300 * time.Millisecond)
	for i := len(d) - 1; i >= 0; i-- {
		f := strings.SplitN(d[i], "\t", 3)
		switch f[0] {
		case "cgroup":
			_ = unix.Rmdir(f[1])
		case "state":
			_ = os.RemoveAll(f[1])
		}
	}
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// waitLine waits up to timeout for file to hold the line.
func waitLine(file, line string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(readFile(file), "\n") {
			if l == line {
				return true
			}
		}
	}
	return false
}
