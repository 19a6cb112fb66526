package fs2

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// Stats fills s from dir's files in the shape runc's events gives on v2
// (v1 names, nanoseconds, swap as memory+swap). A controller whose files
// are missing (not enabled for the cgroup) leaves its part empty; any
// other read error is returned, after the rest is filled.
func Stats(dir string, s *stats.Stats) error {
	var errs []error
	for _, f := range []func(string, *stats.Stats) error{statCPU, statMemory, statPids, statIO, statHugetlb} {
		if err := f(dir, s); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// OOMKills is memory.events' oom_kill: the processes the OOM killer killed
// in dir and below.
func OOMKills(dir string) (uint64, error) {
	kv, err := cgfile.ReadKV(dir, "memory.events")
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}

// statCPU: cpu.stat is there even without the cpu controller (usage only).
func statCPU(dir string, s *stats.Stats) error {
	kv, err := cgfile.ReadKV(dir, "cpu.stat")
	if err != nil {
		return err
	}
	u := &s.CPU.Usage
	u.Total, u.User, u.Kernel = kv["usage_usec"]*1000, kv["user_usec"]*1000, kv["system_usec"]*1000
	t := &s.CPU.Throttling
	t.Periods, t.ThrottledPeriods, t.ThrottledTime = kv["nr_periods"], kv["nr_throttled"], kv["throttled_usec"]*1000
	return nil
}

func statMemory(dir string, s *stats.Stats) error {
	raw, err := cgfile.ReadKV(dir, "memory.stat")
	if err != nil {
		return err
	}
	m := &s.Memory
	m.Raw = raw
	m.Cache = raw["file"]
	if m.Usage, err = memoryEntry(dir, "memory"); err != nil {
		return err
	}
	swap, err := memoryEntry(dir, "memory.swap")
	if errors.Is(err, os.ErrNotExist) {
		return nil // no swap accounting
	}
	if err != nil {
		return err
	}
	// v1's swap numbers were memory+swap, and callers expect that shape.
	swap.Usage += m.Usage.Usage
	if swap.Limit != math.MaxUint64 && m.Usage.Limit != math.MaxUint64 {
		swap.Limit += m.Usage.Limit
	} else {
		swap.Limit = math.MaxUint64
	}
	m.Swap = swap
	return nil
}

// memoryEntry reads PREFIX.current, .max, .peak (5.19+) and, as the
// failure count, the times usage hit max (PREFIX.events "max").
func memoryEntry(dir, prefix string) (stats.MemoryEntry, error) {
	var e stats.MemoryEntry
	var err error
	if e.Usage, err = cgfile.ReadUint(dir, prefix+".current"); err != nil {
		return e, err
	}
	if e.Limit, err = cgfile.ReadUint(dir, prefix+".max"); err != nil {
		return e, err
	}
	if v, err := cgfile.ReadUint(dir, prefix+".peak"); err == nil {
		e.Max = v
	}
	if kv, err := cgfile.ReadKV(dir, prefix+".events"); err == nil {
		e.Failcnt = kv["max"]
	}
	return e, nil
}

// statPids: pids.max "max" is reported as 0, v1's (and runc's) "no limit".
// Without the pids controller the processes are counted from
// cgroup.procs, as runc does.
func statPids(dir string, s *stats.Stats) error {
	cur, err := cgfile.ReadUint(dir, "pids.current")
	if errors.Is(err, os.ErrNotExist) {
		procs, perr := cgfile.ReadString(dir, "cgroup.procs")
		if perr != nil {
			return perr
		}
		s.Pids.Current = uint64(len(strings.Fields(procs)))
		return nil
	}
	if err != nil {
		return err
	}
	limit, err := cgfile.ReadUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if limit == math.MaxUint64 {
		limit = 0
	}
	s.Pids.Current, s.Pids.Limit = cur, limit
	return nil
}

// statIO maps io.stat's "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..."
// lines to v1's tables: bytes to ioServiceBytesRecursive, ios to
// ioServicedRecursive, as Read and Write entries.
func statIO(dir string, s *stats.Stats) error {
	text, err := cgfile.ReadString(dir, "io.stat")
	if err != nil {
		return err
	}
	var bytes, ios []stats.BlkioEntry
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		majS, minS, ok := strings.Cut(f[0], ":")
		if !ok {
			continue
		}
		maj, err1 := strconv.ParseUint(majS, 10, 64)
		mnr, err2 := strconv.ParseUint(minS, 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: device %q: not MAJ:MIN", filepath.Join(dir, "io.stat"), f[0])
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := stats.BlkioEntry{Major: maj, Minor: mnr, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				bytes = append(bytes, e)
			case "wbytes":
				e.Op = "Write"
				bytes = append(bytes, e)
			case "rios":
				e.Op = "Read"
				ios = append(ios, e)
			case "wios":
				e.Op = "Write"
				ios = append(ios, e)
			}
		}
	}
	s.Blkio.IoServiceBytesRecursive, s.Blkio.IoServicedRecursive = bytes, ios
	return nil
}

// statHugetlb reads every page size the cgroup has files for:
// hugetlb.SIZE.current as usage, hugetlb.SIZE.events "max" (allocations
// refused at the limit) as the failure count, keyed by SIZE ("2MB").
func statHugetlb(dir string, s *stats.Stats) error {
	files, err := filepath.Glob(filepath.Join(dir, "hugetlb.*.current"))
	if err != nil {
		return err
	}
	var sizes []string
	for _, f := range files {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "hugetlb."), ".current")
		if !strings.Contains(size, ".") { // not hugetlb.SIZE.rsvd.current
			sizes = append(sizes, size)
		}
	}
	if len(sizes) == 0 {
		return nil
	}
	slices.Sort(sizes)
	out := make(map[string]stats.Hugetlb, len(sizes))
	for _, size := range sizes {
		var h stats.Hugetlb
		if h.Usage, err = cgfile.ReadUint(dir, "hugetlb."+size+".current"); err != nil {
			return err
		}
		if kv, err := cgfile.ReadKV(dir, "hugetlb."+size+".events"); err == nil {
			h.Failcnt = kv["max"]
		}
		out[size] = h
	}
	s.Hugetlb = out
	return nil
}
