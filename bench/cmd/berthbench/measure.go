package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// results holds every figure, per runtime name.
type results struct {
	samples    map[string]map[string][]float64 // metric -> runtime -> ms
	runRSS     map[string][]float64            // KiB, ru_maxrss of `run`
	runFaults  map[string][]float64            // ru_minflt of `run` and what it reaped
	cmdFaults  map[string]map[string][]float64 // command -> runtime -> ru_minflt
	tp         map[string]float64              // containers/s
	tpDetail   map[string]string
	idle       map[string]map[string][]float64 // runtime -> field -> KiB
	memMin     map[string]string               // pretty
	memMinKiB  map[string]float64
	memPeak    map[string]float64 // KiB, cgroup peak usage without pressure
	size       map[string]int64
	sizeLibs   map[string]int64
	failures   map[string]int
	floorBatch string
	started    time.Time
	elapsed    time.Duration
}

func (b *bench) add(metric string, r *runtime, d time.Duration) {
	m := b.res.samples[metric]
	if m == nil {
		m = map[string][]float64{}
		b.res.samples[metric] = m
	}
	m[r.name] = append(m[r.name], float64(d.Nanoseconds())/1e6)
}

func (b *bench) fail(r *runtime, what string, err error) {
	b.res.failures[r.name]++
	if b.res.failures[r.name] <= 5 {
		logf("%s: %s failed: %v%s", r.name, what, err, logTail(r))
	}
}

// rotated is the runtimes in a different order each iteration, so none
// always goes first (or right after another one).
func (b *bench) rotated(i int, ociOnly bool) []*runtime {
	var rs []*runtime
	for _, r := range b.rts {
		if ociOnly && r.floor {
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil
	}
	k := ((i % len(rs)) + len(rs)) % len(rs)
	return append(append([]*runtime{}, rs[k:]...), rs[:k]...)
}

func (b *bench) stopped() bool { return b.ctx.Err() != nil }

func (b *bench) measure() error {
	b.res = results{
		samples: map[string]map[string][]float64{}, runRSS: map[string][]float64{}, runFaults: map[string][]float64{},
		tp: map[string]float64{}, tpDetail: map[string]string{},
		idle: map[string]map[string][]float64{}, memMin: map[string]string{},
		memMinKiB: map[string]float64{}, memPeak: map[string]float64{}, size: map[string]int64{}, sizeLibs: map[string]int64{},
		failures: map[string]int{}, started: time.Now(),
	}
	defer func() { b.res.elapsed = time.Since(b.res.started) }()
	names := []string{}
	for _, r := range b.rts {
		names = append(names, r.name)
	}
	logf("runtimes: %s; N=%d; cgroups: host %s, bench namespace %s", strings.Join(names, ", "), b.cfg.N, b.hostMode, b.benchMode)
	steps := []struct {
		name string
		fn   func()
	}{
		{"1-3/7 latency: run; create, start, delete; exec", b.measureLatency},
		{"4/7 throughput", b.measureThroughput},
		{"5/7 peak RSS of the runtime, memory of a created container's init", b.measureMemory},
		{"5b/7 page faults of each command", b.measureCommandFaults},
		{"6/7 smallest memory limit", b.measureMemLimit},
		{"7/7 binary size", b.measureSize},
	}
	for _, s := range steps {
		if b.stopped() {
			return nil
		}
		t0 := time.Now()
		logf("%s ...", s.name)
		s.fn()
		logf("%s done in %.1fs", s.name, time.Since(t0).Seconds())
	}
	return nil
}

// 1-3. Latency, N iterations (after WARMUP untimed ones). Each iteration
// takes every runtime in turn (rotated order) through: `run` /bin/true;
// create, start, delete (the exit awaited, untimed, before delete); exec
// /bin/true into its running sleeper container. So drift hits every
// runtime and every figure alike.
func (b *bench) measureLatency() {
	sleepers := map[*runtime]string{}
	defer func() {
		for r, id := range sleepers {
			b.forceDelete(r, id)
		}
	}()
	for _, r := range b.rotated(0, true) {
		id := b.newID(r)
		r.track(id, true)
		res := b.exec(b.ctx, r, 0, r.argv("run", "--detach", "--bundle", b.sleeper, id)...)
		if res.err != nil {
			b.fail(r, "run --detach sleep", res.err)
			b.forceDelete(r, id)
			continue
		}
		sleepers[r] = id
	}
	for i := -b.cfg.Warmup; i < b.cfg.N && !b.stopped(); i++ {
		if i > 0 && i%25 == 0 {
			logf("  iteration %d/%d", i, b.cfg.N)
		}
		for _, r := range b.rotated(i, false) {
			b.latencyRun(r, i >= 0)
			if r.floor {
				continue
			}
			b.latencyLifecycle(r, i >= 0)
			if id, ok := sleepers[r]; ok && !b.stopped() {
				res := b.exec(b.ctx, r, 0, r.argv("exec", id, "/bin/true")...)
				if res.err != nil && !b.stopped() {
					b.fail(r, "exec", res.err)
				} else if i >= 0 && res.err == nil {
					b.add("exec", r, res.d)
				}
			}
			if b.stopped() {
				return
			}
		}
	}
	// floor.c's own figure: the mean over a batch in one process, without
	// a process start per container.
	for _, r := range b.rts {
		if r.floor && !b.stopped() {
			out, err := execOutput(r.bin, b.rootfs, strconv.Itoa(max(b.cfg.N, 100)))
			if err == nil {
				b.res.floorBatch = strings.TrimSpace(out)
			}
		}
	}
}

func (b *bench) latencyRun(r *runtime, record bool) {
	res := b.runOnce(b.ctx, r, b.newID(r))
	if b.stopped() {
		return
	}
	if res.err != nil {
		b.fail(r, "run", res.err)
	} else if record {
		b.add("run", r, res.d)
	}
}

func (b *bench) latencyLifecycle(r *runtime, record bool) {
	id, c, pid, ok := b.createWithPid(r)
	if !ok {
		return
	}
	s := b.exec(b.ctx, r, 0, r.argv("start", id)...)
	if s.err != nil {
		b.fail(r, "start", s.err)
		b.forceDelete(r, id)
		return
	}
	if err := waitExit(pid, 10*time.Second); err != nil {
		b.fail(r, "wait for exit", err)
		b.forceDelete(r, id)
		return
	}
	d := b.exec(b.ctx, r, 0, r.argv("delete", id)...)
	if d.err != nil {
		b.fail(r, "delete", d.err)
		b.forceDelete(r, id)
		return
	}
	r.track(id, false)
	if record {
		b.add("create", r, c.d)
		b.add("start", r, s.d)
		b.add("delete", r, d.d)
		b.add("create+start+delete", r, c.d+s.d+d.d)
	}
}

// 4. containers per second from TP_WORKERS parallel workers looping `run`,
// TP_SECONDS per runtime in all, in TP_ROUNDS interleaved rounds.
func (b *bench) measureThroughput() {
	if b.cfg.TPSeconds == 0 {
		return
	}
	round := time.Duration(b.cfg.TPSeconds / float64(b.cfg.TPRounds) * float64(time.Second))
	okN := map[string]int64{}
	failN := map[string]int64{}
	total := map[string]time.Duration{}
	for i := 0; i < b.cfg.TPRounds && !b.stopped(); i++ {
		for _, r := range b.rotated(i, false) {
			var ok, bad atomic.Int64
			var wg sync.WaitGroup
			deadline := time.Now().Add(round)
			t0 := time.Now()
			for w := 0; w < b.cfg.TPWorkers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) && !b.stopped() {
						if res := b.runOnce(b.ctx, r, b.newID(r)); res.err != nil {
							if bad.Add(1) <= 3 && !b.stopped() {
								logf("%s: parallel run failed: %v", r.name, res.err)
							}
						} else {
							ok.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			total[r.name] += time.Since(t0)
			okN[r.name] += ok.Load()
			failN[r.name] += bad.Load()
		}
	}
	for _, r := range b.rts {
		if total[r.name] > 0 {
			b.res.tp[r.name] = float64(okN[r.name]) / total[r.name].Seconds()
			b.res.tpDetail[r.name] = fmt.Sprintf("%d ok, %d failed in %.1f s", okN[r.name], failN[r.name], total[r.name].Seconds())
			b.res.failures[r.name] += int(failN[r.name])
		}
	}
}

// 5. memory: the peak RSS of the runtime's own processes during `run`
// (ru_maxrss through bench/rusage.c), and the memory of the init of a
// created (not started) container: what a node pays per idle container.
func (b *bench) measureMemory() {
	for i := 0; i < b.cfg.MemSamples && !b.stopped(); i++ {
		for _, r := range b.rotated(i, false) {
			var out bytes.Buffer
			id := b.newID(r)
			argv := r.argv("run", "--bundle", b.bundle, id)
			if r.floor {
				argv = r.argv(b.rootfs, "1")
			} else {
				r.track(id, true)
			}
			res := b.execTo(b.ctx, r, 0, &out, append([]string{b.rusage}, argv...)...)
			if !r.floor {
				if res.err != nil {
					b.forceDelete(r, id)
				} else {
					r.track(id, false)
				}
			}
			if b.stopped() {
				return
			}
			var rss, faults float64
			_, err := fmt.Sscan(out.String(), &rss, &faults)
			if res.err != nil || err != nil {
				b.fail(r, "run under rusage", fmt.Errorf("%w %w", res.err, err))
				continue
			}
			b.res.runRSS[r.name] = append(b.res.runRSS[r.name], rss)
			b.res.runFaults[r.name] = append(b.res.runFaults[r.name], faults)
		}
	}
	// Alone, the init's private memory includes the runtime's code, which
	// a second idle container shares (when the runtime does not copy its
	// binary per container): what each further idle container costs the
	// node is the second one's private memory ("Private2").
	for i := 0; i < b.cfg.MemSamples && !b.stopped(); i++ {
		for _, r := range b.rotated(i, true) {
			id, _, pid, ok := b.createWithPid(r)
			if !ok {
				continue
			}
			m, err := procMem(pid)
			if err == nil {
				id2, _, pid2, ok2 := b.createWithPid(r)
				if ok2 {
					var m2 map[string]float64
					if m2, err = procMem(pid2); err == nil {
						m["Private2"] = m2["Private"]
					}
					b.forceDelete(r, id2)
				}
			}
			if err != nil {
				b.fail(r, "read init memory", err)
			} else {
				if b.res.idle[r.name] == nil {
					b.res.idle[r.name] = map[string][]float64{}
				}
				for k, v := range m {
					b.res.idle[r.name][k] = append(b.res.idle[r.name][k], v)
				}
			}
			b.forceDelete(r, id)
		}
	}
}

// createWithPid creates a container with r and reads its init's pid. On
// failure it records it, deletes what was made, and returns ok false.
func (b *bench) createWithPid(r *runtime) (id string, c result, pid int, ok bool) {
	id = b.newID(r)
	pidFile := filepath.Join(b.tmp, id+".pid")
	r.track(id, true)
	c = b.exec(b.ctx, r, 0, r.argv("create", "--bundle", b.bundle, "--pid-file", pidFile, id)...)
	if c.err != nil {
		b.fail(r, "create", c.err)
		b.forceDelete(r, id)
		return id, c, 0, false
	}
	pid, err := readPid(pidFile)
	_ = os.Remove(pidFile)
	if err != nil {
		b.fail(r, "create", err)
		b.forceDelete(r, id)
		return id, c, 0, false
	}
	return id, c, pid, true
}

var kbLine = regexp.MustCompile(`^(\w+):\s+(\d+) kB`)

// procMem reads VmHWM and VmRSS from status and Rss, Pss and the private
// (unshared) pages from smaps_rollup, in KiB.
func procMem(pid int) (map[string]float64, error) {
	m := map[string]float64{}
	for _, f := range []string{"status", "smaps_rollup"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if s := kbLine.FindStringSubmatch(l); s != nil {
				v, _ := strconv.ParseFloat(s[2], 64)
				m[s[1]] = v
			}
		}
	}
	out := map[string]float64{
		"VmHWM":   m["VmHWM"],
		"VmRSS":   m["VmRSS"],
		"Pss":     m["Pss"],
		"Private": m["Private_Clean"] + m["Private_Dirty"],
	}
	return out, nil
}

// 6. the smallest memory.limit_in_bytes of a fresh memory cgroup, holding
// the runtime command itself (sh writes its pid, then execs the runtime)
// and the container (linux.cgroupsPath inside it), at which `run
// /bin/true` still succeeds MEM_CONFIRM times in a row. Binary search,
// one step per runtime in turn.
func (b *bench) measureMemLimit() {
	if b.memMount == "" {
		logf("no cgroup v1 memory controller mounted: skipping the memory limit search")
		return
	}
	type search struct {
		r      *runtime
		lo, hi int64
		done   bool
		probed bool
	}
	var ss []*search
	for _, r := range b.rts {
		ss = append(ss, &search{r: r, lo: 0, hi: b.cfg.MemMax})
	}
	for active := true; active && !b.stopped(); {
		active = false
		for _, s := range ss {
			if s.done || b.stopped() {
				continue
			}
			active = true
			if !s.probed {
				// The first step, at MEM_MAX_KIB, also gives the memory
				// charged without pressure: memory.max_usage_in_bytes.
				s.probed = true
				var peaks []float64
				ok := b.memConfirmPeak(s.r, s.hi, &peaks)
				if len(peaks) > 0 {
					b.res.memPeak[s.r.name] = pct(peaks, 0.5)
				}
				if !ok {
					b.res.memMin[s.r.name] = fmt.Sprintf("> %s", kib(float64(s.hi>>10)))
					s.done = true
				}
				continue
			}
			if s.hi-s.lo <= b.cfg.MemStep {
				b.res.memMin[s.r.name] = kib(float64(s.hi >> 10))
				b.res.memMinKiB[s.r.name] = float64(s.hi >> 10)
				s.done = true
				continue
			}
			mid := (s.lo + s.hi) / 2 &^ 4095
			if b.memConfirm(s.r, mid) {
				s.hi = mid
			} else {
				s.lo = mid
			}
		}
	}
}

func (b *bench) memConfirm(r *runtime, limit int64) bool {
	return b.memConfirmPeak(r, limit, nil)
}

// memConfirmPeak is memConfirm that also collects the cgroup's peak usage
// (KiB) of each successful run.
func (b *bench) memConfirmPeak(r *runtime, limit int64, peaks *[]float64) bool {
	for i := 0; i < b.cfg.MemConfirm; i++ {
		ok, peak := b.memTrial(r, limit)
		if !ok {
			return false
		}
		if peaks != nil {
			*peaks = append(*peaks, float64(peak>>10))
		}
	}
	return true
}

// memTrial runs /bin/true once in a fresh memory cgroup with this limit; it
// returns whether it succeeded and memory.max_usage_in_bytes.
func (b *bench) memTrial(r *runtime, limit int64) (ok bool, peak int64) {
	seq := b.seq.Add(1)
	name := fmt.Sprintf("%s%s-%d", b.cgPrefix(), r.name, seq)
	cg := filepath.Join(b.memMount, name)
	if err := os.Mkdir(cg, 0o755); err != nil {
		logf("mkdir %s: %v", cg, err)
		return false, 0
	}
	defer func() {
		removeCgroupTree(cg)
		removeCgroups(name) // the container's cgroups in the other hierarchies
	}()
	if err := os.WriteFile(filepath.Join(cg, "memory.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0); err != nil {
		logf("%s: set limit %d: %v", cg, limit, err)
		return false, 0
	}
	var argv []string
	id := b.newID(r)
	if r.floor {
		argv = r.argv(b.rootfs, "1")
	} else {
		bundle := filepath.Join(b.tmp, "mem-"+id)
		defer func() { _ = os.RemoveAll(bundle) }()
		if err := b.writeBundle(bundle, []string{"/bin/true"}, "/"+name+"/ctr"); err != nil {
			logf("%v", err)
			return false, 0
		}
		argv = r.argv("run", "--bundle", bundle, id)
		r.track(id, true)
	}
	sh := append([]string{"/bin/sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, cg}, argv...)
	res := b.exec(b.ctx, r, 0, sh...)
	if !r.floor {
		if res.err != nil {
			b.forceDelete(r, id)
		} else {
			r.track(id, false)
		}
	}
	if data, err := os.ReadFile(filepath.Join(cg, "memory.max_usage_in_bytes")); err == nil {
		peak, _ = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	}
	return res.err == nil, peak
}

// 7. binary size, and with the shared libraries it loads other than libc.
func (b *bench) measureSize() {
	for _, r := range b.rts {
		st, err := os.Stat(r.bin)
		if err != nil {
			continue
		}
		b.res.size[r.name] = st.Size()
		libs := st.Size()
		out, _ := execOutput("ldd", r.bin)
		for _, l := range strings.Split(out, "\n") {
			// "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)"
			f := strings.Fields(l)
			if len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/") {
				base := filepath.Base(f[2])
				if strings.HasPrefix(base, "libc.so") || strings.HasPrefix(base, "ld-linux") {
					continue
				}
				if ls, err := os.Stat(f[2]); err == nil {
					libs += ls.Size()
				}
			}
		}
		b.res.sizeLibs[r.name] = libs
	}
}

func execOutput(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.Output()
	return string(out), err
}
