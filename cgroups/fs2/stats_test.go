package fs2

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/berth-runtime/berth/cgroups/stats"
)

// Files as a 6.x kernel shows them.
var fakeCgroup = map[string]string{
	"cpu.stat": "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n" +
		"nr_periods 10\nnr_throttled 3\nthrottled_usec 700\nnr_bursts 0\nburst_usec 0\n",
	"memory.stat":         "anon 1048576\nfile 4096\nkernel 8192\nsock 0\n",
	"memory.current":      "2097152\n",
	"memory.max":          "67108864\n",
	"memory.peak":         "3145728\n",
	"memory.events":       "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n",
	"memory.swap.current": "4096\n",
	"memory.swap.max":     "max\n",
	"memory.swap.events":  "high 0\nmax 0\nfail 0\n",
	"pids.current":        "3\n",
	"pids.max":            "max\n",
	"io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n" +
		"253:1 rbytes=10 wbytes=0 rios=5 wios=0 dbytes=0 dios=0\n",
	"hugetlb.2MB.current":      "2097152\n",
	"hugetlb.2MB.max":          "4194304\n",
	"hugetlb.2MB.events":       "max 7\n",
	"hugetlb.2MB.rsvd.current": "0\n",
	"hugetlb.1GB.current":      "0\n",
	"hugetlb.1GB.events":       "max 0\n",
}

func TestStats(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, fakeCgroup)
	var s stats.Stats
	if err := Stats(dir, &s); err != nil {
		t.Fatal(err)
	}
	want := stats.Stats{
		CPU: stats.CPU{
			Usage:      stats.CPUUsage{Total: 2500000, User: 2000000, Kernel: 500000},
			Throttling: stats.Throttling{Periods: 10, ThrottledPeriods: 3, ThrottledTime: 700000},
		},
		Memory: stats.Memory{
			Cache: 4096,
			Usage: stats.MemoryEntry{Usage: 2097152, Limit: 67108864, Max: 3145728, Failcnt: 4},
			// v1's shape: memory+swap.
			Swap: stats.MemoryEntry{Usage: 2097152 + 4096, Limit: math.MaxUint64},
			Raw:  map[string]uint64{"anon": 1048576, "file": 4096, "kernel": 8192, "sock": 0},
		},
		Pids: stats.Pids{Current: 3, Limit: 0},
		Blkio: stats.Blkio{
			IoServiceBytesRecursive: []stats.BlkioEntry{
				{Major: 8, Minor: 0, Op: "Read", Value: 4096},
				{Major: 8, Minor: 0, Op: "Write", Value: 8192},
				{Major: 253, Minor: 1, Op: "Read", Value: 10},
				{Major: 253, Minor: 1, Op: "Write", Value: 0},
			},
			IoServicedRecursive: []stats.BlkioEntry{
				{Major: 8, Minor: 0, Op: "Read", Value: 1},
				{Major: 8, Minor: 0, Op: "Write", Value: 2},
				{Major: 253, Minor: 1, Op: "Read", Value: 5},
				{Major: 253, Minor: 1, Op: "Write", Value: 0},
			},
		},
		Hugetlb: map[string]stats.Hugetlb{"2MB": {Usage: 2097152, Failcnt: 7}, "1GB": {}},
	}
	if !reflect.DeepEqual(s, want) {
		g, _ := json.MarshalIndent(s, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("stats\n%s\nwant\n%s", g, w)
	}
	if n, err := OOMKills(dir); n != 1 || err != nil {
		t.Errorf("OOMKills = %d, %v; want 1", n, err)
	}
}

func TestStatsLimitedSwapAndPidsMax(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, fakeCgroup)
	writeFiles(t, dir, map[string]string{"memory.swap.max": "1048576\n", "pids.max": "32\n"})
	var s stats.Stats
	if err := Stats(dir, &s); err != nil {
		t.Fatal(err)
	}
	if s.Memory.Swap.Limit != 67108864+1048576 || s.Pids.Limit != 32 {
		t.Errorf("swap limit %d (want memory+swap), pids limit %d", s.Memory.Swap.Limit, s.Pids.Limit)
	}
}

// Only cpu.stat and cgroup.procs: a cgroup without controllers enabled.
func TestStatsWithoutControllers(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cpu.stat":     "usage_usec 10\nuser_usec 6\nsystem_usec 4\n",
		"cgroup.procs": "12\n34\n",
	})
	var s stats.Stats
	if err := Stats(dir, &s); err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 10000 || s.Pids.Current != 2 || s.Memory.Usage.Usage != 0 || s.Hugetlb != nil {
		t.Errorf("stats %+v", s)
	}
	if _, err := OOMKills(dir); err == nil {
		t.Error("OOMKills without memory.events: no error")
	}
}

func TestStatsBadFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, fakeCgroup)
	writeFiles(t, dir, map[string]string{"io.stat": "8:x rbytes=1\n"})
	var s stats.Stats
	err := Stats(dir, &s)
	if err == nil {
		t.Fatal("no error for a bad io.stat")
	}
	if s.CPU.Usage.Total != 2500000 || s.Memory.Usage.Usage != 2097152 {
		t.Errorf("the readable parts are not filled: %+v", s)
	}
}
