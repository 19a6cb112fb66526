package fs

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// userHZ is the unit of cpuacct.stat: USER_HZ is 100 on every Linux ABI.
const userHZ = 100

// Stats fills s from the v1 hierarchies; dir returns a controller's
// directory, "" when the host has no such hierarchy. A counter file the
// kernel lacks is left at zero.
func Stats(dir func(controller string) string, s *stats.Stats) error {
	for _, f := range []func(func(string) string, *stats.Stats) error{cpuStats, memoryStats, pidsStats, blkioStats, hugetlbStats} {
		if err := f(dir, s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func cpuStats(dir func(string) string, s *stats.Stats) error {
	if d := dir("cpuacct"); d != "" {
		s.CPU.Usage.Total, _ = cgfile.ReadUint(d, "cpuacct.usage")
		s.CPU.Usage.Percpu = readList(d, "cpuacct.usage_percpu")
		s.CPU.Usage.PercpuKernel = readList(d, "cpuacct.usage_percpu_sys")
		s.CPU.Usage.PercpuUser = readList(d, "cpuacct.usage_percpu_user")
		if kv, err := cgfile.ReadKV(d, "cpuacct.stat"); err == nil {
			const ns = 1e9 / userHZ
			s.CPU.Usage.User = kv["user"] * ns
			s.CPU.Usage.Kernel = kv["system"] * ns
		}
	}
	if d := dir("cpu"); d != "" {
		if kv, err := cgfile.ReadKV(d, "cpu.stat"); err == nil {
			s.CPU.Throttling.Periods = kv["nr_periods"]
			s.CPU.Throttling.ThrottledPeriods = kv["nr_throttled"]
			s.CPU.Throttling.ThrottledTime = kv["throttled_time"]
		}
	}
	return nil
}

func readList(dir, name string) []uint64 {
	str, err := cgfile.ReadString(dir, name)
	if err != nil {
		return nil
	}
	var out []uint64
	for _, f := range strings.Fields(str) {
		if v, err := strconv.ParseUint(f, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func memoryStats(dir func(string) string, s *stats.Stats) error {
	d := dir("memory")
	if d == "" {
		return nil
	}
	raw, err := cgfile.ReadKV(d, "memory.stat")
	if err != nil {
		return err
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["cache"]
	s.Memory.Usage = memoryEntry(d, "memory")
	s.Memory.Swap = memoryEntry(d, "memory.memsw")
	s.Memory.Kernel = memoryEntry(d, "memory.kmem")
	s.Memory.KernelTCP = memoryEntry(d, "memory.kmem.tcp")
	return nil
}

func memoryEntry(d, prefix string) stats.MemoryEntry {
	var e stats.MemoryEntry
	e.Usage, _ = cgfile.ReadUint(d, prefix+".usage_in_bytes")
	e.Max, _ = cgfile.ReadUint(d, prefix+".max_usage_in_bytes")
	e.Failcnt, _ = cgfile.ReadUint(d, prefix+".failcnt")
	e.Limit, _ = cgfile.ReadUint(d, prefix+".limit_in_bytes")
	return e
}

func pidsStats(dir func(string) string, s *stats.Stats) error {
	d := dir("pids")
	if d == "" {
		return nil
	}
	s.Pids.Current, _ = cgfile.ReadUint(d, "pids.current")
	if lim, err := cgfile.ReadUint(d, "pids.max"); err == nil && lim != ^uint64(0) {
		s.Pids.Limit = lim
	}
	return nil
}

func blkioStats(dir func(string) string, s *stats.Stats) error {
	d := dir("blkio")
	if d == "" {
		return nil
	}
	s.Blkio.IoServiceBytesRecursive = blkioEntries(d, "blkio.throttle.io_service_bytes_recursive")
	s.Blkio.IoServicedRecursive = blkioEntries(d, "blkio.throttle.io_serviced_recursive")
	return nil
}

// blkioEntries parses "MAJ:MIN Op value" lines ("Total value" ends the file).
func blkioEntries(dir, name string) []stats.BlkioEntry {
	str, err := cgfile.ReadString(dir, name)
	if err != nil {
		return nil
	}
	var out []stats.BlkioEntry
	for _, line := range strings.Split(str, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		mm := strings.SplitN(f[0], ":", 2)
		if len(mm) != 2 {
			continue
		}
		maj, _ := strconv.ParseUint(mm[0], 10, 64)
		min, _ := strconv.ParseUint(mm[1], 10, 64)
		v, _ := strconv.ParseUint(f[2], 10, 64)
		out = append(out, stats.BlkioEntry{Major: maj, Minor: min, Op: f[1], Value: v})
	}
	return out
}

func hugetlbStats(dir func(string) string, s *stats.Stats) error {
	d := dir("hugetlb")
	if d == "" {
		return nil
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "hugetlb.") || !strings.HasSuffix(n, ".limit_in_bytes") || strings.Contains(n, ".rsvd.") {
			continue
		}
		size := strings.TrimSuffix(strings.TrimPrefix(n, "hugetlb."), ".limit_in_bytes")
		if s.Hugetlb == nil {
			s.Hugetlb = map[string]stats.Hugetlb{}
		}
		var h stats.Hugetlb
		h.Usage, _ = cgfile.ReadUint(d, "hugetlb."+size+".usage_in_bytes")
		h.Max, _ = cgfile.ReadUint(d, "hugetlb."+size+".max_usage_in_bytes")
		h.Failcnt, _ = cgfile.ReadUint(d, "hugetlb."+size+".failcnt")
		s.Hugetlb[size] = h
	}
	return nil
}

// OOMKills reads the oom_kill counter of memory.oom_control (Linux 4.13+).
func OOMKills(memDir string) (uint64, error) {
	kv, err := cgfile.ReadKV(memDir, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}
