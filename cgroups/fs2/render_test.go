package fs2

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }

// render renders one controller as "file=value" strings, "?" after the
// file of an optional write, and the error text ("" for none).
func render(t *testing.T, ctrl string, r *specs.LinuxResources) ([]string, string) {
	t.Helper()
	ws, err := Render(ctrl, r)
	if err != nil {
		return nil, err.Error()
	}
	return show(ws), ""
}

func show(ws []cgfile.Write) []string {
	var out []string
	for _, w := range ws {
		if !strings.HasPrefix(w.Field, "linux.resources.") {
			panic("write without a field: " + w.String())
		}
		f := w.File
		if w.Optional {
			f += "?"
		}
		out = append(out, f+"="+w.Value)
	}
	return out
}

type renderCase struct {
	name string
	r    specs.LinuxResources
	want []string
	err  string // part of the error, when one is expected
}

func runCases(t *testing.T, ctrl string, cases []renderCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := render(t, ctrl, &c.r)
			if c.err != "" {
				if !strings.Contains(err, c.err) {
					t.Fatalf("error %q, want one containing %q (writes %q)", err, c.err, got)
				}
				return
			}
			if err != "" {
				t.Fatalf("unexpected error %s", err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("writes\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestRenderCPU(t *testing.T) {
	runCases(t, "cpu", []renderCase{
		{name: "none", r: specs.LinuxResources{}},
		{name: "empty", r: specs.LinuxResources{CPU: &specs.LinuxCPU{}}},
		{name: "default shares", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024)}}, want: []string{"cpu.weight=39"}},
		{name: "min shares", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(2)}}, want: []string{"cpu.weight=1"}},
		{name: "max shares", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(262144)}}, want: []string{"cpu.weight=10000"}},
		{name: "shares clamped low", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1)}}, want: []string{"cpu.weight=1"}},
		{name: "shares clamped high", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1 << 20)}}, want: []string{"cpu.weight=10000"}},
		{name: "zero shares unset", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(0)}}},
		{
			name: "quota and period", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(200000)}},
			want: []string{"cpu.max=50000 200000"},
		},
		{
			name: "quota alone keeps the period", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000)}},
			want: []string{"cpu.max=50000"},
		},
		{
			name: "unlimited quota alone", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}},
			want: []string{"cpu.max=max"},
		},
		{
			name: "unlimited quota with period", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(100000)}},
			want: []string{"cpu.max=max 100000"},
		},
		{
			name: "period alone", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(250000)}},
			want: []string{"cpu.max=max 250000"},
		},
		{name: "zero quota and period unset", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(0), Period: u64(0)}}},
		{
			name: "burst before max", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Burst: u64(20000)}},
			want: []string{"cpu.max.burst?=20000", "cpu.max=50000 100000"},
		},
		{
			name: "zero burst is written", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: u64(0)}},
			want: []string{"cpu.max.burst?=0"},
		},
		{
			name: "idle drops the weight", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: i64(1), Shares: u64(1024)}},
			want: []string{"cpu.idle=1"},
		},
		{
			name: "idle 0 keeps the weight", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: i64(0), Shares: u64(512)}},
			want: []string{"cpu.idle=0", "cpu.weight=20"},
		},
		{
			name: "realtime runtime refused", r: specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(950000)}},
			err: "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2",
		},
		{
			name: "realtime period refused", r: specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: u64(1000000)}},
			err: "linux.resources.cpu.realtimePeriod: not supported on cgroup v2",
		},
		{
			name: "zero realtime is unset", r: specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(0), RealtimePeriod: u64(0), Shares: u64(2)}},
			want: []string{"cpu.weight=1"},
		},
		{name: "cpuset fields are not cpu's", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0", Mems: "0"}}},
	})
}

func TestSharesToWeight(t *testing.T) {
	// runc's linear map: 1 + (shares-2)*9999/262142.
	for shares, want := range map[uint64]uint64{2: 1, 3: 1, 100: 4, 1024: 39, 2048: 79, 131072: 5000, 262143: 9999, 262144: 10000} {
		if got := SharesToWeight(shares); got != want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestRenderCpuset(t *testing.T) {
	runCases(t, "cpuset", []renderCase{
		{name: "none", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(10)}}},
		{
			name: "both", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1,3", Mems: "0"}},
			want: []string{"cpuset.cpus=0-1,3", "cpuset.mems=0"},
		},
		{name: "cpus", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1"}}, want: []string{"cpuset.cpus=1"}},
	})
}

func TestRenderMemory(t *testing.T) {
	mem := func(limit, swap, res *int64) specs.LinuxResources {
		return specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: limit, Swap: swap, Reservation: res}}
	}
	runCases(t, "memory", []renderCase{
		{name: "none", r: specs.LinuxResources{}},
		{name: "limit", r: mem(i64(64<<20), nil, nil), want: []string{"memory.max=67108864"}},
		{
			name: "unlimited limit makes swap unlimited", r: mem(i64(-1), nil, nil),
			want: []string{"memory.swap.max?=max", "memory.max=max"},
		},
		{name: "zero limit is unset", r: mem(i64(0), nil, nil)},
		{
			name: "swap is memory+swap", r: mem(i64(64<<20), i64(96<<20), nil),
			want: []string{"memory.swap.max=33554432", "memory.max=67108864"},
		},
		{
			name: "swap equal to limit is no swap", r: mem(i64(64<<20), i64(64<<20), nil),
			want: []string{"memory.swap.max?=0", "memory.max=67108864"},
		},
		{
			name: "unlimited swap", r: mem(i64(64<<20), i64(-1), nil),
			want: []string{"memory.swap.max?=max", "memory.max=67108864"},
		},
		{
			name: "swap with unlimited memory taken as is", r: mem(i64(-1), i64(32<<20), nil),
			want: []string{"memory.swap.max=33554432", "memory.max=max"},
		},
		{
			name: "swap below limit", r: mem(i64(64<<20), i64(32<<20), nil),
			err: "linux.resources.memory.swap: 33554432 is below the memory limit 67108864",
		},
		{
			name: "swap without limit", r: mem(nil, i64(32<<20), nil),
			err: "linux.resources.memory.swap: a swap limit needs a memory limit",
		},
		{
			name: "swap with a bad limit", r: mem(i64(-5), i64(32<<20), nil),
			err: "invalid memory limit -5",
		},
		{name: "reservation", r: mem(nil, nil, i64(32<<20)), want: []string{"memory.low=33554432"}},
		{name: "unlimited reservation", r: mem(nil, nil, i64(-1)), want: []string{"memory.low=max"}},
		{name: "v1-only fields ignored", r: specs.LinuxResources{Memory: &specs.LinuxMemory{
			Kernel: i64(1 << 20), KernelTCP: i64(1 << 20), Swappiness: u64(10),
			DisableOOMKiller: boolp(true), UseHierarchy: boolp(true), CheckBeforeUpdate: boolp(true),
		}}},
	})
}

func TestSwapToV2(t *testing.T) {
	for _, c := range []struct {
		swap, limit, want int64
		err               bool
	}{
		{0, 0, 0, false},
		{0, 100, 0, false},
		{0, -1, -1, false},
		{-1, 100, -1, false},
		{-1, 0, -1, false},
		{300, 100, 200, false},
		{100, 100, 0, false},
		{300, -1, 300, false},
		{300, 0, 0, true},
		{50, 100, 0, true},
		{300, -2, 0, true},
	} {
		got, err := SwapToV2(c.swap, c.limit)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("SwapToV2(%d, %d) = %d, %v; want %d, error %v", c.swap, c.limit, got, err, c.want, c.err)
		}
	}
}

func TestRenderPids(t *testing.T) {
	runCases(t, "pids", []renderCase{
		{name: "none", r: specs.LinuxResources{Pids: &specs.LinuxPids{}}},
		{name: "limit", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(32)}}, want: []string{"pids.max=32"}},
		{name: "unlimited", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, want: []string{"pids.max=max"}},
		{name: "zero is init alone (runc 1.5)", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, want: []string{"pids.max=1"}},
	})
}

func TestRenderIO(t *testing.T) {
	dev := func(maj, min int64) specs.LinuxBlockIODevice { return specs.LinuxBlockIODevice{Major: maj, Minor: min} }
	thr := func(maj, min int64, rate uint64) specs.LinuxThrottleDevice {
		return specs.LinuxThrottleDevice{LinuxBlockIODevice: dev(maj, min), Rate: rate}
	}
	runCases(t, "io", []renderCase{
		{name: "none", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{}}},
		{
			name: "weight converted", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}},
			want: []string{"io.weight=4950"},
		},
		{
			name: "weight min", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(10)}},
			want: []string{"io.weight=1"},
		},
		{
			name: "weight max", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(1000)}},
			want: []string{"io.weight=10000"},
		},
		{
			name: "weight too small", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}},
			err: "linux.resources.blockIO.weight: 5 is not in 10..1000",
		},
		{name: "weight 0 unset", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(0)}}},
		{name: "leaf weight and device weights without bfq left out", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			LeafWeight: u16(300), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: u16(300)}},
		}}},
		{
			name: "throttles one line per device", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{thr(8, 0, 1048576), thr(8, 16, 4096)},
				ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{thr(8, 0, 2097152)},
				ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{thr(8, 16, 100)},
				ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{thr(8, 0, 200), thr(7, 1, 0)},
			}},
			want: []string{"io.max=8:0 rbps=1048576 wbps=2097152 wiops=200", "io.max=8:16 rbps=4096 riops=100"},
		},
		{
			name: "negative device", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{thr(-1, 0, 5)},
			}},
			err: "linux.resources.blockIO.throttleReadBpsDevice[0]: device -1:0",
		},
	})
}

func TestRenderIOWithBFQ(t *testing.T) {
	r := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		Weight: u16(500),
		WeightDevice: []specs.LinuxWeightDevice{
			{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(300)},
			{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, LeafWeight: u16(300)},
		},
	}}
	for _, c := range []struct {
		h    IOHost
		want []string
	}{
		{IOHost{}, []string{"io.weight=4950"}},
		{IOHost{BFQ: true}, []string{"io.bfq.weight=500"}},
		{IOHost{BFQ: true, BFQDevices: true}, []string{"io.bfq.weight=500", "io.bfq.weight=8:0 300"}},
	} {
		ws, err := RenderIO(c.h, r)
		if err != nil || !slices.Equal(show(ws), c.want) {
			t.Errorf("%+v: %q, %v; want %q", c.h, show(ws), err, c.want)
		}
	}
	bad := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
		{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: u16(2000)},
	}}}
	if _, err := RenderIO(IOHost{BFQ: true, BFQDevices: true}, bad); err == nil ||
		!strings.Contains(err.Error(), "linux.resources.blockIO.weightDevice[0].weight: 2000") {
		t.Errorf("device weight 2000: %v", err)
	}
}

func TestProbeIO(t *testing.T) {
	for content, want := range map[string]IOHost{
		"":                   {},
		"100\n":              {BFQ: true},
		"default 100\n":      {BFQ: true, BFQDevices: true},
		"default 100\n8:0 5": {BFQ: true, BFQDevices: true},
	} {
		dir := t.TempDir()
		if content != "" {
			writeFiles(t, dir, map[string]string{"io.bfq.weight": content})
		}
		if got := ProbeIO(dir); got != want {
			t.Errorf("io.bfq.weight %q: %+v, want %+v", content, got, want)
		}
	}
}

func TestBlkioToIOWeight(t *testing.T) {
	for weight, want := range map[uint16]uint64{10: 1, 100: 910, 500: 4950, 1000: 10000, 1: 1, 5000: 10000} {
		if got := BlkioToIOWeight(weight); got != want {
			t.Errorf("BlkioToIOWeight(%d) = %d, want %d", weight, got, want)
		}
	}
}

func TestRenderHugetlb(t *testing.T) {
	runCases(t, "hugetlb", []renderCase{
		{name: "none", r: specs.LinuxResources{}},
		{
			name: "limits with reservations", r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{
				{Pagesize: "2MB", Limit: 4 << 20}, {Pagesize: "1GB", Limit: 0},
			}},
			want: []string{"hugetlb.2MB.max=4194304", "hugetlb.2MB.rsvd.max?=4194304", "hugetlb.1GB.max=0", "hugetlb.1GB.rsvd.max?=0"},
		},
		{
			name: "path in page size", r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB/../../x"}}},
			err: `linux.resources.hugepageLimits[0].pageSize: "2MB/../../x" is not a size`,
		},
		{
			name: "no number", r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "MB"}}},
			err: "hugepageLimits[0].pageSize",
		},
	})
}

func TestRenderRdma(t *testing.T) {
	runCases(t, "rdma", []renderCase{
		{name: "none", r: specs.LinuxResources{}},
		{
			name: "devices in order", r: specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{
				"mlx5_1": {HcaHandles: u32(3)},
				"mlx5_0": {HcaHandles: u32(2), HcaObjects: u32(2000)},
				"mlx5_2": {HcaObjects: u32(7)},
				"mlx5_3": {},
			}},
			want: []string{"rdma.max=mlx5_0 hca_handle=2 hca_object=2000", "rdma.max=mlx5_1 hca_handle=3", "rdma.max=mlx5_2 hca_object=7"},
		},
		{
			name: "bad device", r: specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"a b": {HcaHandles: u32(1)}}},
			err: `linux.resources.rdma["a b"]: not a device name`,
		},
	})
}

func TestRenderUnified(t *testing.T) {
	runCases(t, "unified", []renderCase{
		{name: "none", r: specs.LinuxResources{}},
		{
			name: "keys in order, as given", r: specs.LinuxResources{Unified: map[string]string{
				"memory.high": "50000000", "cpu.weight": "300", "misc.max": "res_a 1", "cgroup.freeze": "0",
			}},
			want: []string{"cgroup.freeze=0", "cpu.weight=300", "memory.high=50000000", "misc.max=res_a 1"},
		},
		{
			name: "several lines one at a time", r: specs.LinuxResources{Unified: map[string]string{
				"io.max": "8:0 rbps=1000\n8:16 wbps=2000\n",
			}},
			want: []string{"io.max=8:0 rbps=1000", "io.max=8:16 wbps=2000"},
		},
		{
			name: "one line with its newline kept", r: specs.LinuxResources{Unified: map[string]string{"pids.max": "10\n"}},
			want: []string{"pids.max=10\n"},
		},
		{
			name: "slash", r: specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}},
			err: `linux.resources.unified["../memory.max"]: must be a file name`,
		},
		{name: "dotdot", r: specs.LinuxResources{Unified: map[string]string{"..": "1"}}, err: "must be a file name"},
		{name: "no controller", r: specs.LinuxResources{Unified: map[string]string{"foo": "1"}}, err: "must be CONTROLLER.PARAMETER"},
		{name: "dot only at the edge", r: specs.LinuxResources{Unified: map[string]string{".max": "1"}}, err: "must be CONTROLLER.PARAMETER"},
		{name: "procs", r: specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}, err: "moves or kills processes"},
		{name: "kill", r: specs.LinuxResources{Unified: map[string]string{"cgroup.kill": "1"}}, err: "moves or kills processes"},
	})
	if ws, err := Render("misc", &specs.LinuxResources{Unified: map[string]string{"misc.max": "x 1"}}); err != nil || len(ws) != 0 {
		t.Errorf("misc has no typed field: %v %v", ws, err)
	}
}

func TestRenderUnknown(t *testing.T) {
	if _, err := Render("blkio", &specs.LinuxResources{}); err == nil || !strings.Contains(err.Error(), `"blkio"`) {
		t.Errorf("blkio is v1's: %v", err)
	}
	if ws, err := Render("cpu", nil); ws != nil || err != nil {
		t.Errorf("nil resources: %v %v", ws, err)
	}
}

func TestNeeded(t *testing.T) {
	for _, c := range []struct {
		name string
		r    *specs.LinuxResources
		want []string
	}{
		{"nil", nil, nil},
		{"empty", &specs.LinuxResources{}, nil},
		{"devices only", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, nil},
		{"v1-only memory fields", &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(10)}}, nil},
		{"typed fields in order", &specs.LinuxResources{
			Pids:           &specs.LinuxPids{Limit: i64(10)},
			Memory:         &specs.LinuxMemory{Limit: i64(1 << 30)},
			CPU:            &specs.LinuxCPU{Shares: u64(100), Cpus: "0"},
			BlockIO:        &specs.LinuxBlockIO{Weight: u16(100)},
			HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 0}},
			Rdma:           map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: u32(1)}},
		}, []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"}},
		{"unified keys", &specs.LinuxResources{Unified: map[string]string{
			"misc.max": "a 1", "memory.high": "1", "cgroup.freeze": "0",
		}}, []string{"memory", "misc"}},
		{"refused value still needs its controller", &specs.LinuxResources{
			CPU: &specs.LinuxCPU{RealtimeRuntime: i64(5)},
		}, []string{"cpu"}},
	} {
		if got := Needed(c.r); !slices.Equal(got, c.want) {
			t.Errorf("%s: Needed = %q, want %q", c.name, got, c.want)
		}
	}
}
