// Command faultinject fails berth's system calls one at a time, with strace, and checks
// that each failure ends in a clear error and a clean host.
//
// Usage:
//
//	faultinject -berth B -bundle DIR -root DIR -dir DIR -id PREFIX [-phases create,...]
//
// For each phase (create, start, start-init: the container's init during start, exec,
// delete) it first traces the command once without faults (strace -f -ff: one file per
// tracee, so that strace's when=N, counted per tracee, can be read off), and plans one
// fault per distinct call site of mount, umount2, mkdirat, openat, openat2, write,
// clone, clone3, setns, unshare, pivot_root, execve, renameat, unlinkat and rmdir (see
// plan and signature). Then, case by case, with a fresh container each time, it runs
// the command with that fault injected and checks:
//
//   - the command fails with a message on stderr, and what it leaves is what the phase
//     allows: nothing for create and exec (before any delete), a retry that succeeds
//     for delete; or it succeeds because the failure did not matter, and then the
//     container works (it starts, the process runs, exec prints what it should);
//   - after delete --force, nothing is left on the host: the leak audit (package
//     tests/internal/leak) against a snapshot from before the case.
//
// The Go runtime cannot do without a thread it failed to create: such a case is a crash
// (a "fatal error" on stderr), judged as kill -9 is: delete --force cleans up.
//
// It prints one line per case and a summary per phase, and exits 1 if any case failed.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berth-runtime/berth/tests/internal/leak"
)

var berthPath string

// errnos: what each call fails with. ENOENT is avoided: berth rightly takes it for
// "not there" where a path is optional (masked paths), which would hide the fault.
var errnos = map[string]string{
	"mount": "EPERM", "umount2": "EPERM", "pivot_root": "EPERM", "setns": "EPERM", "unshare": "EPERM",
	"openat": "EACCES", "openat2": "EACCES",
	"write": "ENOSPC", "mkdirat": "ENOSPC", "renameat": "ENOSPC",
	"clone": "EAGAIN", "clone3": "EAGAIN",
	"execve":   "ENOMEM",
	"unlinkat": "EIO", "rmdir": "EBUSY",
}

func tracedSet() map[string]bool {
	m := map[string]bool{}
	for k := range errnos {
		m[k] = true
	}
	return m
}

func traceExpr() string {
	var names []string
	for k := range errnos {
		names = append(names, k)
	}
	sort.Strings(names)
	return "trace=" + strings.Join(names, ",")
}

func main() {
	bundle := flag.String("bundle", "", "bundle directory")
	root := flag.String("root", "", "--root for berth")
	dir := flag.String("dir", "", "work directory (traces, outputs)")
	id := flag.String("id", "", "container ID prefix")
	only := flag.String("phases", "create,start,start-init,exec,delete", "phases to run")
	flag.StringVar(&berthPath, "berth", "", "berth binary")
	flag.Parse()
	if *bundle == "" || *root == "" || *dir == "" || *id == "" || berthPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	bundleDir = *bundle
	e := &env{bundle: *bundle, root: *root, dir: *dir, idPrefix: *id, scope: &leak.Scope{
		IDs: []string{*id}, Paths: []string{filepath.Dir(*bundle)}, Roots: []string{*root}, Parent: os.Getpid(),
	}}
	failures := 0
	for _, name := range strings.Split(*only, ",") {
		var ph *phase
		for _, p := range phases {
			if p.name == name {
				ph = p
			}
		}
		if ph == nil {
			fmt.Fprintln(os.Stderr, "faultinject: no phase", name)
			os.Exit(2)
		}
		failures += runPhase(e, ph)
	}
	if failures > 0 {
		fmt.Printf("FAILED: %d cases\n", failures)
		os.Exit(1)
	}
}

func runPhase(e *env, ph *phase) int {
	t0 := time.Now()
	dry := runCase(e, ph, nil)
	if dry.err != nil {
		fmt.Printf("%s: dry run: %v\n", ph.name, dry.err)
		return 1
	}
	faults, sites, err := plan(dry.prefix, dry.id, tracedSet())
	if err != nil {
		fmt.Printf("%s: plan: %v\n", ph.name, err)
		return 1
	}
	_ = os.RemoveAll(filepath.Dir(dry.prefix))
	fmt.Printf("%s: %d call sites in %d faults\n", ph.name, sites, len(faults))
	hit := map[string]bool{}
	count := map[string]int{}
	failed := 0
	for i := range faults {
		c := runCase(e, ph, &faults[i])
		for _, s := range c.injected {
			hit[s] = true
		}
		count[c.class]++
		mark := "ok  "
		if c.err != nil {
			mark = "FAIL"
			failed++
		}
		fmt.Printf("%s %s %-22s %-9s %s\n", mark, ph.name, faults[i].String(), c.class, c.detail())
	}
	planned := 0
	for i := range faults {
		for _, s := range faults[i].sigs {
			if hit[s] {
				planned++
			}
		}
	}
	fmt.Printf("%s: %d faults (%d call sites planned, %d of them hit, %d sites hit in all): "+
		"%d failed with an error, %d tolerated, %d crashed, %d missed; %d FAILED; %.0fs\n",
		ph.name, len(faults), sites, planned, len(hit), count["error"], count["tolerated"],
		count["crash"], count["missed"], failed, time.Since(t0).Seconds())
	return failed
}

// caseOut is one case's outcome.
type caseOut struct {
	id, prefix string
	class      string // error, tolerated, crash, missed
	injected   []string
	r          *result
	err        error
}

func (c *caseOut) detail() string {
	var s string
	if c.r != nil {
		msg := strings.TrimSpace(c.r.stderr)
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 && c.class != "crash" {
			msg = msg[i+1:]
		} else if i >= 0 {
			msg = msg[:i]
		}
		if len(msg) > 160 {
			msg = msg[:160] + "..."
		}
		s = fmt.Sprintf("rc=%d %q", c.r.code, msg)
		if c.class == "tolerated" {
			s += " after " + strings.Join(c.injected, " and ")
		}
	}
	if c.err != nil {
		s += ": " + c.err.Error()
	}
	return s
}

// runCase runs one case (f nil: the dry run, whose traces stay for plan).
func runCase(e *env, ph *phase, f *fault) (c *caseOut) {
	c = &caseOut{id: e.newID()}
	base := e.scope.Snapshot()
	defer func() {
		// Whatever happened, delete --force leaves nothing.
		if _, err := os.Lstat(filepath.Join(e.root, c.id)); err == nil {
			if _, err := e.berth(e.file(c.id+".delete"), "delete", "--force", c.id); err != nil && c.err == nil {
				c.err = err
			}
		}
		if d := e.leakCheck(base); len(d) > 0 {
			if c.err == nil {
				c.err = fmt.Errorf("after delete --force: left %s", strings.Join(d, "; "))
			}
			e.cleanAfter(base)
		}
		if f != nil && c.err == nil {
			files, _ := filepath.Glob(e.file(c.id) + "*")
			for _, p := range files {
				_ = os.RemoveAll(p)
			}
		}
	}()
	if ph.prepare != nil {
		if err := ph.prepare(e, c.id); err != nil {
			c.err = fmt.Errorf("prepare: %w", err)
			return c
		}
	}
	afterPrepare := e.scope.Snapshot()
	tdir := e.file(c.id + ".trace")
	_ = os.MkdirAll(tdir, 0o755)
	c.prefix = filepath.Join(tdir, "t")
	opts := []string{"-e", traceExpr()}
	if f != nil {
		// execve is traced too: the command's own (which strace does not count)
		// tells which tracee is berth.
		opts = []string{
			"-e", "trace=execve," + f.name,
			"-e", fmt.Sprintf("inject=%s:error=%s:when=%d", f.name, errnos[f.name], f.n),
		}
	}
	r := &result{}
	c.r = r
	out := e.file(c.id)
	var t *traced
	var err error
	if ph.attach {
		var pid int
		if pid, err = initPid(e, c.id); err == nil {
			t, err = straceAttach(c.prefix, opts, pid)
		}
		if err == nil {
			r.stderr, err = e.berth(out, ph.args(c.id)...)
			r.code, r.exit = 0, "exited with 0"
			if err != nil {
				r.code, r.exit = 1, err.Error()
			}
			err = nil
		}
	} else {
		t, err = e.straceCmd(c.prefix, out, opts, ph.args(c.id)...)
		if err == nil {
			var ok bool
			r.exit, r.code, ok = t.wait(30 * time.Second)
			r.hang = !ok
		}
	}
	if err != nil {
		c.err = err
		return c
	}
	r.stdout, r.stderr = readFile(out+".out"), readFile(out+".err")
	if r.hang {
		t.detach()
		c.err = fmt.Errorf("hangs: berth did not return in 30s")
		return c
	}
	// A created container (or a started one, for start-init) lives on: let strace go
	// before its process runs into more faults. Otherwise every tracee must end.
	if r.code == 0 && (ph.name == "create" || ph.attach) {
		if ph.attach {
			waitLine(e.file(c.id+".create.out"), "ran", 10*time.Second)
		}
		t.detach()
	} else if !t.done(10 * time.Second) {
		c.err = fmt.Errorf("a process berth started still runs 10s after it returned")
	}
	if f == nil {
		c.class = "dry"
		if r.code != 0 {
			c.err = fmt.Errorf("dry run failed: %s", r.stderr)
		} else {
			c.err = ph.ok(e, c.id, r)
		}
		return c
	}
	raw := t.injected()
	for _, l := range raw {
		c.injected = append(c.injected, signature(l, c.id))
	}
	if c.err != nil {
		return c
	}
	switch {
	case r.code != 0 && r.crash():
		c.class = "crash"
	case r.code != 0:
		c.class = "error"
	case len(c.injected) > 0:
		c.class = "tolerated"
	default:
		c.class = "missed"
	}
	if r.code != 0 {
		if strings.TrimSpace(r.stderr) == "" && !messageFailed(raw) {
			c.err = fmt.Errorf("failed without a message")
			return c
		}
		c.err = ph.failed(e, c.id, r, afterPrepare)
		if c.class == "crash" && !crashable(f) {
			c.err = fmt.Errorf("crashed on a fault that is not a thread's: %w", c.err)
		}
		return c
	}
	r.injected = c.injected
	c.err = ph.ok(e, c.id, r)
	if c.err == nil && c.class == "tolerated" {
		c.err = checkTolerated(f, c.injected)
	}
	return c
}

// messageFailed: the fault hit berth's write of its error message to stderr itself
// (strace counts per thread: the thread that reports the error may be at its N-th
// write). The message was there; only the disk (as the fault pretends) took none.
func messageFailed(injected []string) bool {
	for _, l := range injected {
		if strings.HasPrefix(l, "write(2<") && strings.Contains(l, `"berth: `) {
			return true
		}
	}
	return false
}

// crashable: the faults the Go runtime cannot survive (a thread it fails to create).
func crashable(f *fault) bool {
	return f.name == "clone3" || f.name == "clone"
}

func initPid(e *env, id string) (int, error) {
	if _, err := e.berth(e.file(id+".state"), "state", id); err != nil {
		return 0, err
	}
	var st struct{ Pid int }
	if err := jsonUnmarshal(readFile(e.file(id+".state.out")), &st); err != nil {
		return 0, err
	}
	return st.Pid, nil
}
