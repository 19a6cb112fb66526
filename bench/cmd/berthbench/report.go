package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// pct is the q-quantile (0..1) by linear interpolation between ranks.
func pct(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func kib(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 1024:
		return fmt.Sprintf("%.2f MiB", v/1024)
	}
	return fmt.Sprintf("%.0f KiB", v)
}

type row struct {
	label string
	vals  map[string]float64
	str   map[string]string // overrides the formatted value
	f     func(float64) string
}

// count formats a number of events; NaN (no samples, as for floor) is "–".
func count(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f", v)
}

func ms(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f ms", v)
}

func (b *bench) rows() []row {
	var rs []row
	lat := func(metric, label string) {
		for _, q := range []struct {
			p string
			q float64
		}{{"p50", 0.5}, {"p90", 0.9}} {
			r := row{label: label + " " + q.p, vals: map[string]float64{}, f: ms}
			for name, xs := range b.res.samples[metric] {
				r.vals[name] = pct(xs, q.q)
			}
			rs = append(rs, r)
		}
	}
	lat("run", "`run` /bin/true")
	lat("create", "`create`")
	lat("start", "`start`")
	lat("delete", "`delete`")
	lat("create+start+delete", "create+start+delete (sum per container)")
	lat("exec", "`exec` /bin/true")
	tp := row{
		label: fmt.Sprintf("throughput, %d parallel `run` (containers/s, higher is better)", b.cfg.TPWorkers),
		vals:  b.res.tp, f: func(v float64) string { return fmt.Sprintf("%.1f /s", v) },
	}
	rs = append(rs, tp)
	rss := row{label: "peak RSS of the runtime during `run` (ru_maxrss, p50)", vals: map[string]float64{}, f: kib}
	for name, xs := range b.res.runRSS {
		rss.vals[name] = pct(xs, 0.5)
	}
	rs = append(rs, rss)
	flt := row{label: "page faults during `run` (ru_minflt of the command and what it reaped, p50)", vals: map[string]float64{}, f: func(v float64) string { return fmt.Sprintf("%.0f", v) }}
	for name, xs := range b.res.runFaults {
		flt.vals[name] = pct(xs, 0.5)
	}
	rs = append(rs, flt)
	for _, cmd := range faultCommands {
		r := row{label: fmt.Sprintf("page faults of `%s` (ru_minflt of the command and what it reaped, p50)", cmd), vals: map[string]float64{}, f: count}
		for name, xs := range b.res.cmdFaults[cmd] {
			r.vals[name] = pct(xs, 0.5)
		}
		rs = append(rs, r)
	}
	for _, f := range []struct{ key, label string }{
		{"VmHWM", "created container's init: VmHWM (peak RSS)"},
		{"VmRSS", "created container's init: VmRSS"},
		{"Pss", "created container's init: Pss"},
		{"Private", "created container's init: private (unshared) memory"},
		{"Private2", "a second created container's init: private memory (what each further idle container costs)"},
	} {
		r := row{label: f.label, vals: map[string]float64{}, f: kib}
		for name, m := range b.res.idle {
			r.vals[name] = pct(m[f.key], 0.5)
		}
		rs = append(rs, r)
	}
	peak := row{label: "memory charged to the cgroup by `run` (runtime + container, peak, no pressure)", vals: b.res.memPeak, f: kib}
	mem := row{label: "smallest memory limit for `run` /bin/true", vals: b.res.memMinKiB, str: b.res.memMin, f: kib}
	rs = append(rs, peak, mem)
	size := row{label: "binary size", vals: map[string]float64{}, f: kib}
	libs := row{label: "binary + shared libraries (other than libc)", vals: map[string]float64{}, f: kib}
	for name, v := range b.res.size {
		size.vals[name] = float64(v) / 1024
		libs.vals[name] = float64(b.res.sizeLibs[name]) / 1024
	}
	rs = append(rs, size, libs)
	return rs
}

func (b *bench) report() error {
	if err := os.MkdirAll(b.cfg.Out, 0o755); err != nil {
		return err
	}
	if err := b.writeCSV(filepath.Join(b.cfg.Out, "samples.csv")); err != nil {
		return err
	}
	var w strings.Builder
	fmt.Fprintf(&w, "# berth benchmark: latest results\n\n")
	fmt.Fprintf(&w, "Written by `bench/cmd/berthbench` on %s; the whole run took %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), b.res.elapsed.Round(time.Second))
	fmt.Fprintf(&w, "Command: `%s`\n\n", b.cfg.Command)
	fmt.Fprintf(&w, "Settings: N=%d timed iterations per latency figure (after %d warm-up), throughput %d workers for %.0f s per runtime in %d interleaved rounds, memory samples %d, memory search to %s with %d consecutive successes per limit.\n\n",
		b.cfg.N, b.cfg.Warmup, b.cfg.TPWorkers, b.cfg.TPSeconds, b.cfg.TPRounds, b.cfg.MemSamples, kib(float64(b.cfg.MemStep>>10)), b.cfg.MemConfirm)

	w.WriteString("## Machine\n\n")
	for _, l := range b.machine() {
		fmt.Fprintf(&w, "- %s\n", l)
	}
	w.WriteString("\n## Results\n\n")
	names := []string{}
	has := map[string]bool{}
	for _, r := range b.rts {
		names = append(names, r.name)
		has[r.name] = true
	}
	var ratios []string
	for _, o := range []string{"runc", "crun", "floor"} {
		if has["berth"] && has[o] {
			ratios = append(ratios, o)
		}
	}
	w.WriteString("| figure | " + strings.Join(names, " | "))
	for _, o := range ratios {
		fmt.Fprintf(&w, " | berth/%s", o)
	}
	w.WriteString(" |\n|---")
	for range len(names) + len(ratios) {
		w.WriteString("|---:")
	}
	w.WriteString("|\n")
	for _, r := range b.rows() {
		fmt.Fprintf(&w, "| %s", r.label)
		for _, n := range names {
			s, ok := r.str[n]
			if !ok {
				v, ok2 := r.vals[n]
				if !ok2 {
					v = math.NaN()
				}
				s = r.f(v)
			}
			fmt.Fprintf(&w, " | %s", s)
		}
		for _, o := range ratios {
			bv, ok1 := r.vals["berth"]
			ov, ok2 := r.vals[o]
			if !ok1 || !ok2 || ov == 0 || math.IsNaN(bv) || math.IsNaN(ov) {
				w.WriteString(" | –")
				continue
			}
			fmt.Fprintf(&w, " | %.2f×", bv/ov)
		}
		w.WriteString(" |\n")
	}
	fmt.Fprintf(&w, "| failed commands")
	for _, n := range names {
		fmt.Fprintf(&w, " | %d", b.res.failures[n])
	}
	for range ratios {
		w.WriteString(" | ")
	}
	w.WriteString(" |\n\n")
	if b.res.floorBatch != "" {
		fmt.Fprintf(&w, "floor.c in one process, without a process start per container: `%s`.\n\n", b.res.floorBatch)
	}
	if len(b.res.tpDetail) > 0 {
		w.WriteString("Throughput detail:")
		for _, n := range names {
			if d, ok := b.res.tpDetail[n]; ok {
				fmt.Fprintf(&w, " %s %s;", n, d)
			}
		}
		w.WriteString("\n\n")
	}
	w.WriteString("![run latency](run-latency.png)\n\n")
	b.writeTargets(&w, has)
	w.WriteString(method)

	path := filepath.Join(b.cfg.Out, "latest.md")
	if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s", path, filepath.Join(b.cfg.Out, "samples.csv"))
	return nil
}

// writeTargets checks the goals of issue 7 (goals, not assertions).
func (b *bench) writeTargets(w *strings.Builder, has map[string]bool) {
	if !has["berth"] {
		return
	}
	p50 := func(metric, name string) float64 { return pct(b.res.samples[metric][name], 0.5) }
	type target struct {
		what      string
		got, want float64
		ok        bool
		avail     bool
	}
	var ts []target
	cmp := func(what string, got, limit float64, below bool, need ...string) {
		avail := !math.IsNaN(got) && !math.IsNaN(limit)
		for _, n := range need {
			avail = avail && has[n]
		}
		ok := got <= limit
		if !below {
			ok = got >= limit
		}
		ts = append(ts, target{what, got, limit, ok, avail})
	}
	run := p50("run", "berth")
	cmp("`run` p50 ≤ 0.25× runc (ms)", run, 0.25*p50("run", "runc"), true, "runc")
	cmp("`run` p50 below crun (ms)", run, p50("run", "crun"), true, "crun")
	cmp("`run` p50 ≤ 2× floor (ms)", run, 2*p50("run", "floor"), true, "floor")
	cmp("create+start+delete p50 below crun (ms)", p50("create+start+delete", "berth"), p50("create+start+delete", "crun"), true, "crun")
	cmp("`exec` p50 below crun (ms)", p50("exec", "berth"), p50("exec", "crun"), true, "crun")
	cmp("runtime peak RSS ≤ ½ runc (KiB)", pct(b.res.runRSS["berth"], 0.5), 0.5*pct(b.res.runRSS["runc"], 0.5), true, "runc")
	priv := math.NaN()
	if m := b.res.idle["berth"]; m != nil {
		priv = pct(m["Private2"], 0.5)
	}
	cmp("created init's private memory ≤ 1 MiB (KiB; a second idle container's, the code shared)", priv, 1024, true)
	mm := math.NaN()
	if v, ok := b.res.memMinKiB["berth"]; ok {
		mm = v
	}
	cmp("`run` succeeds under a 2 MiB limit (smallest, KiB)", mm, 2048, true)
	tpR := math.NaN()
	if v, ok := b.res.tp["runc"]; ok {
		tpR = 3 * v
	}
	bt := math.NaN()
	if v, ok := b.res.tp["berth"]; ok {
		bt = v
	}
	cmp("throughput ≥ 3× runc (containers/s)", bt, tpR, false, "runc")
	w.WriteString("## Targets of issue 7 (medians, this run)\n\n| target | berth | limit | met |\n|---|---:|---:|---|\n")
	for _, t := range ts {
		if !t.avail {
			fmt.Fprintf(w, "| %s | – | – | n/a |\n", t.what)
			continue
		}
		mark := "no"
		if t.ok {
			mark = "yes"
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %s |\n", t.what, t.got, t.want, mark)
	}
	w.WriteString("\n")
}

const method = `## How it is measured

- One busybox bundle (scripts/mkrootfs.sh, ` + "`berth spec`" + ` with terminal off, ociVersion 1.0.2 because crun 1.8 rejects 1.3.0) serves every runtime; each runtime has its own --root on a tmpfs.
- Each latency iteration takes every runtime in turn, in an order rotated per iteration, through run; create, start, delete; exec, so drift hits every runtime and every figure alike. Latency is the wall time from fork to exit of the runtime command, as the harness (Go, os/exec) sees it; "floor" is ` + "`floor ROOTFS 1`" + `, one container per process start of floor.c, timed the same way.
- create/start/delete: the container's exit is awaited (untimed) between start and delete; the sum is per container. exec: into one running container per runtime (busybox sleep).
- Peak RSS of the runtime: ru_maxrss from wait4 on the ` + "`run`" + ` command, as /usr/bin/time -f %M gives it, but through bench/rusage.c, a small static launcher that vforks (Linux counts the RSS a child has before its exec, so a fork from the Go harness would add its few MiB to every figure): the largest of the command and of the children it reaped, not their sum. Created container's init: /proc/PID/status and /proc/PID/smaps_rollup of the --pid-file process of a created, not started container; private = Private_Clean + Private_Dirty; the second container's init is measured while the first is still created, so code pages mapped from a shared binary count as shared (runc copies its binary into a memfd per container, so its code stays private). Page faults: ru_minflt from the same wait4 as the peak RSS; on this machine a fault is the dominant cost of starting a process (see the fault cost under Machine).
- Smallest memory limit: a fresh v1 memory cgroup per attempt with memory.limit_in_bytes set; ` + "`sh -c 'echo $$ > cgroup.procs; exec RUNTIME run ...'`" + ` puts the runtime in it and linux.cgroupsPath puts the container below it, so both count; binary search to the step above, each limit must pass several times in a row. The first step, at the top of the range, also reads memory.max_usage_in_bytes: the memory (user and kernel) charged to the cgroup by runtime and container together when nothing presses. No runtime is given linux.resources, so none writes limits of its own.
- The harness runs in a private mount namespace; on a hybrid host it unmounts /sys/fs/cgroup/unified there (crun refuses hybrid mode), so every runtime sees a v1 host. The host's mounts are unchanged.
`

func (b *bench) machine() []string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				var kb float64
				_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), &kb)
				mem = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	osr := ""
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				osr = strings.Trim(v, `"`)
			}
		}
	}
	commit := "unknown"
	if out, err := exec.Command("git", "-C", b.cfg.Repo, "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "-C", b.cfg.Repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			commit += " (with uncommitted changes)"
		}
	}
	l := []string{
		fmt.Sprintf("kernel %s (%s), %s", unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:]), osr),
		fmt.Sprintf("%d CPUs (nproc), %s; memory %s", goruntime.NumCPU(), model, mem),
		"cgroups on the host: " + b.hostMode,
		"cgroups as the runtimes see them (private mount namespace): " + b.benchMode,
		"cost of a page fault and of a system call: " + b.faultCost,
		"berth source: commit " + commit,
	}
	for _, r := range b.rts {
		l = append(l, fmt.Sprintf("%s: `%s` — %s", r.name, r.bin, r.version))
	}
	return l
}

func (b *bench) writeCSV(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	_, _ = w.WriteString("metric,runtime,i,ms\n")
	metrics := []string{}
	for m := range b.res.samples {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	for _, m := range metrics {
		for _, r := range b.rts {
			for i, v := range b.res.samples[m][r.name] {
				_, _ = fmt.Fprintf(w, "%s,%s,%d,%.3f\n", m, r.name, i, v)
			}
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
