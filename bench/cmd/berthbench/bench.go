package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

// runtime is one contender: an OCI runtime with its own --root, or the
// floor program.
type runtime struct {
	name    string
	bin     string // resolved path
	root    string // --root; "" for floor
	floor   bool
	log     *os.File // the stderr of every command
	version string

	mu   sync.Mutex
	live map[string]bool // container ids that may exist
}

func (r *runtime) argv(a ...string) []string {
	if r.floor {
		return append([]string{r.bin}, a...)
	}
	return append([]string{r.bin, "--root", r.root}, a...)
}

func (r *runtime) track(id string, alive bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if alive {
		r.live[id] = true
	} else {
		delete(r.live, id)
	}
}

type bench struct {
	cfg                 *config
	ctx                 context.Context
	interrupted         atomic.Bool
	hostMode, benchMode string
	faultCost           string // bench/faultcost.c's line, described
	pid                 int

	tmp      string // tmpfs in the private namespace
	bundle   string // /bin/true
	sleeper  string // sleep, for exec
	rootfs   string
	spec     map[string]any
	rts      []*runtime
	seq      atomic.Int64
	memMount string
	rusage   string // bench/rusage.c, built

	res results
}

// newID names a container (and, through the runtimes' default cgroup paths,
// its cgroups) so that clean-up can find whatever this run left behind.
func (b *bench) idPrefix() string { return fmt.Sprintf("bb%d-", b.pid) }
func (b *bench) cgPrefix() string { return fmt.Sprintf("berth-bench-%d-", b.pid) }
func (b *bench) newID(r *runtime) string {
	return fmt.Sprintf("%s%s-%d", b.idPrefix(), r.name, b.seq.Add(1))
}

func (b *bench) setup() error {
	cfg := b.cfg
	tmp, err := os.MkdirTemp("", "berthbench-")
	if err != nil {
		return err
	}
	b.tmp = tmp
	// Only in this namespace: state dirs on tmpfs, as /run is on a node.
	if err := unix.Mount("tmpfs", tmp, "tmpfs", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", tmp, err)
	}
	b.memMount = findCgroupMount("memory")
	src := filepath.Join(filepath.Dir(cfg.FloorSrc), "rusage.c")
	b.rusage = filepath.Join(tmp, "rusage")
	if out, err := exec.Command("gcc", "-O2", "-static", "-o", b.rusage, src).CombinedOutput(); err != nil {
		logf("gcc -static %s: %v\n%s; building it dynamic (its RSS then adds more to each figure)", src, err, out)
		if out, err := exec.Command("gcc", "-O2", "-o", b.rusage, src).CombinedOutput(); err != nil {
			return fmt.Errorf("gcc %s: %w\n%s", src, err, out)
		}
	}

	b.faultCost = measureFaultCost(filepath.Join(filepath.Dir(cfg.FloorSrc), "faultcost.c"), tmp)

	for _, name := range cfg.Runtimes {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		r := &runtime{name: name, live: map[string]bool{}}
		switch name {
		case "floor":
			r.floor = true
			r.bin = filepath.Join(tmp, "floor")
			out, err := exec.Command("gcc", "-O2", "-o", r.bin, cfg.FloorSrc).CombinedOutput()
			if err != nil {
				return fmt.Errorf("gcc %s: %w\n%s", cfg.FloorSrc, err, out)
			}
			gv, _ := exec.Command("gcc", "-dumpfullversion").Output()
			r.version = "floor.c, gcc -O2 (gcc " + strings.TrimSpace(string(gv)) + ")"
		case "berth", "runc", "crun":
			p, err := exec.LookPath(cfg.Bins[name])
			if err != nil {
				logf("skipping %s: %v", name, err)
				continue
			}
			r.bin, _ = filepath.Abs(p)
			r.root = filepath.Join(tmp, "root-"+name)
			if err := os.MkdirAll(r.root, 0o700); err != nil {
				return err
			}
			v, _ := exec.Command(r.bin, "--version").Output()
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(string(v)), "\n") {
				if strings.HasPrefix(l, "rundir:") || strings.HasPrefix(l, "+") {
					continue // crun's build features
				}
				lines = append(lines, strings.TrimSpace(l))
			}
			r.version = strings.Join(lines, "; ")
		default:
			return fmt.Errorf("unknown runtime %q (berth, runc, crun, floor)", name)
		}
		r.log, err = os.OpenFile(filepath.Join(tmp, name+".log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		b.rts = append(b.rts, r)
	}
	if len(b.rts) == 0 {
		return errors.New("no runtime to measure")
	}

	// The bundle: busybox rootfs, berth's default spec with terminal off.
	b.bundle = filepath.Join(tmp, "bundle")
	b.rootfs = filepath.Join(b.bundle, "rootfs")
	if out, err := exec.Command(cfg.Mkrootfs, b.rootfs).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", cfg.Mkrootfs, err, out)
	}
	specBin := cfg.Bins["berth"]
	if out, err := exec.Command(specBin, "spec", "--bundle", b.bundle).CombinedOutput(); err != nil {
		return fmt.Errorf("%s spec: %w\n%s", specBin, err, out)
	}
	data, err := os.ReadFile(filepath.Join(b.bundle, "config.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &b.spec); err != nil {
		return err
	}
	// crun 1.8 (Debian 12) refuses ociVersion 1.3.0 ("unknown version
	// specified"); every runtime gets the same 1.0.2 config.
	b.spec["ociVersion"] = "1.0.2"
	if err := b.writeBundle(b.bundle, []string{"/bin/true"}, ""); err != nil {
		return err
	}
	b.sleeper = filepath.Join(tmp, "bundle-sleep")
	if err := b.writeBundle(b.sleeper, []string{"/bin/sleep", "1000000"}, ""); err != nil {
		return err
	}

	// Every contender must work before any is timed.
	var ok []*runtime
	for _, r := range b.rts {
		res := b.runOnce(b.ctx, r, b.newID(r))
		if res.err != nil {
			logf("skipping %s: run /bin/true failed: %v%s", r.name, res.err, logTail(r))
			continue
		}
		ok = append(ok, r)
	}
	b.rts = ok
	if len(b.rts) == 0 {
		return errors.New("no runtime could run /bin/true")
	}
	return nil
}

// writeBundle writes dir/config.json: the shared spec with these args, an
// absolute root path (all bundles share one rootfs) and a cgroups path.
func (b *bench) writeBundle(dir string, args []string, cgroupsPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	spec := deepCopy(b.spec).(map[string]any)
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	spec["root"].(map[string]any)["path"] = b.rootfs
	if cgroupsPath != "" {
		spec["linux"].(map[string]any)["cgroupsPath"] = cgroupsPath
	}
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// result of one timed command.
type result struct {
	d   time.Duration
	err error
}

// exec runs argv with stdin/stdout on /dev/null and stderr to the runtime's
// log (never a pipe: a detached container may keep it open), timing
// fork+exec to exit.
func (b *bench) exec(ctx context.Context, r *runtime, timeout time.Duration, argv ...string) result {
	return b.execTo(ctx, r, timeout, nil, argv...)
}

// execTo is exec with stdout to w (nil: /dev/null).
func (b *bench) execTo(ctx context.Context, r *runtime, timeout time.Duration, w io.Writer, argv ...string) result {
	if timeout <= 0 {
		timeout = b.cfg.TrialTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Stdout = w
	cmd.Stderr = r.log
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	res := result{d: d, err: err}
	if err != nil && cctx.Err() == context.DeadlineExceeded {
		res.err = fmt.Errorf("timed out after %v: %w", timeout, err)
	}
	return res
}

// runOnce is `run` of /bin/true: for floor, one container of floor.c.
func (b *bench) runOnce(ctx context.Context, r *runtime, id string) result {
	if r.floor {
		return b.exec(ctx, r, 0, r.argv(b.rootfs, "1")...)
	}
	r.track(id, true)
	res := b.exec(ctx, r, 0, r.argv("run", "--bundle", b.bundle, id)...)
	if res.err == nil {
		r.track(id, false)
	} else {
		b.forceDelete(r, id)
	}
	return res
}

// forceDelete removes a container whatever its state (untimed).
func (b *bench) forceDelete(r *runtime, id string) {
	if r.floor {
		return
	}
	b.exec(context.Background(), r, 10*time.Second, r.argv("delete", "--force", id)...)
	if _, err := os.Stat(filepath.Join(r.root, id)); err == nil {
		// A second try: delete may race with a process still exiting.
		time.Sleep(50 * time.Millisecond)
		b.exec(context.Background(), r, 10*time.Second, r.argv("delete", "--force", id)...)
	}
	r.track(id, false)
}

// logTail is the end of a runtime's stderr log, for error messages.
func logTail(r *runtime) string {
	data, err := os.ReadFile(r.log.Name())
	if err != nil || len(data) == 0 {
		return ""
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 600 {
		s = "..." + s[len(s)-600:]
	}
	return "\n  " + r.name + " stderr: " + strings.ReplaceAll(s, "\n", "\n  ")
}

// readPid reads a --pid-file.
func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(data)), &pid); err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: %q", path, data)
	}
	return pid, nil
}

// waitExit waits (untimed) until pid is gone or a zombie: a started
// container's init is reparented to the host's init, which reaps lazily.
func waitExit(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	for {
		data, err := os.ReadFile(stat)
		if err != nil {
			return nil
		}
		if i := strings.LastIndexByte(string(data), ')'); i > 0 && i+2 < len(data) {
			if s := data[i+2]; s == 'Z' || s == 'X' {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running after %v", pid, timeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// cleanup removes every container and cgroup this run made: on success,
// failure and signals alike. Mounts die with the private namespace.
func (b *bench) cleanup() {
	for _, r := range b.rts {
		if r.floor {
			continue
		}
		ids := map[string]bool{}
		r.mu.Lock()
		for id := range r.live {
			ids[id] = true
		}
		r.mu.Unlock()
		out, _ := exec.Command(r.bin, "--root", r.root, "list", "-q").Output()
		for _, id := range strings.Fields(string(out)) {
			ids[id] = true
		}
		for id := range ids {
			b.forceDelete(r, id)
		}
	}
	n := removeCgroups(b.idPrefix(), b.cgPrefix())
	if n > 0 {
		logf("removed %d leftover cgroup directories", n)
	}
	if b.tmp != "" {
		for _, r := range b.rts {
			if r.log != nil {
				_ = r.log.Close()
			}
		}
		_ = unix.Unmount(b.tmp, unix.MNT_DETACH)
		_ = os.RemoveAll(b.tmp)
	}
}

// cgroupMounts lists the mount points of cgroup and cgroup2 filesystems.
func cgroupMounts() (mps []string, opts []string) {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, nil
	}
	for _, in := range infos {
		if in.FSType == "cgroup" || in.FSType == "cgroup2" {
			mps = append(mps, in.MountPoint)
			opts = append(opts, in.SuperOptions)
		}
	}
	return mps, opts
}

func findCgroupMount(controller string) string {
	mps, opts := cgroupMounts()
	for i, o := range opts {
		for _, x := range strings.Split(o, ",") {
			if x == controller {
				return mps[i]
			}
		}
	}
	return ""
}

// removeCgroups finds, in every cgroup hierarchy, the directories whose
// names start with one of prefixes (this run's containers and memory
// cgroups), kills what is left in them (processes this run started) and
// removes them, deepest first.
func removeCgroups(prefixes ...string) int {
	mps, _ := cgroupMounts()
	var dirs []string
	for _, mp := range mps {
		_ = filepath.WalkDir(mp, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() || p == mp {
				return nil
			}
			for _, pre := range prefixes {
				if strings.HasPrefix(d.Name(), pre) {
					dirs = append(dirs, p)
					return filepath.SkipDir
				}
			}
			return nil
		})
	}
	n := 0
	for _, d := range dirs {
		n += removeCgroupTree(d)
	}
	return n
}

// removeCgroupTree kills the processes in dir and below and removes the
// directories, deepest first, retrying while the dying ones leave.
func removeCgroupTree(dir string) int {
	var all []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			all = append(all, p)
		}
		return nil
	})
	n := 0
	deadline := time.Now().Add(5 * time.Second)
	for i := len(all) - 1; i >= 0; i-- {
		for {
			killCgroupProcs(all[i])
			err := os.Remove(all[i])
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				n++
				break
			}
			if time.Now().After(deadline) {
				logf("cannot remove cgroup %s: %v", all[i], err)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return n
}

func killCgroupProcs(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(data)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 && pid != os.Getpid() {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// measureFaultCost builds and runs bench/faultcost.c: the price of a page
// fault and of a system call here, which explains much of the table.
func measureFaultCost(src, tmp string) string {
	bin := filepath.Join(tmp, "faultcost")
	if out, err := exec.Command("gcc", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		logf("gcc %s: %v\n%s", src, err, out)
		return "unknown (faultcost.c did not build)"
	}
	out, err := exec.Command(bin).Output()
	var fault, populated, sc float64
	if _, serr := fmt.Sscan(string(out), &fault, &populated, &sc); err != nil || serr != nil {
		return fmt.Sprintf("unknown (faultcost: %v %v)", err, serr)
	}
	return fmt.Sprintf("%.2f µs per page fault on a fresh anonymous page (%.2f µs per page when the kernel populates them in one call), %.2f µs per system call (bench/faultcost.c)", fault, populated, sc)
}
