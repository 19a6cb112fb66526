package fs

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func bl(v bool) *bool      { return &v }

func render(t *testing.T, c string, r *specs.LinuxResources) string {
	t.Helper()
	ws, err := Render(c, r)
	if err != nil {
		t.Fatalf("Render(%s): %v", c, err)
	}
	var s []string
	for _, w := range ws {
		x := w.String()
		if w.Optional {
			x += "?"
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name, ctrl string
		r          specs.LinuxResources
		want       string
	}{
		{"nothing", "memory", specs.LinuxResources{}, ""},
		{
			"memory", "memory",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(128 << 20), Reservation: i64(1 << 20), Swappiness: u64(5), DisableOOMKiller: bl(true), UseHierarchy: bl(true)}},
			"memory.limit_in_bytes=67108864 memory.memsw.limit_in_bytes=134217728 memory.soft_limit_in_bytes=1048576 memory.swappiness=5 memory.oom_control=1 memory.use_hierarchy=1",
		},
		{
			"memory unlimited implies swap unlimited", "memory",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			"memory.limit_in_bytes=-1 memory.memsw.limit_in_bytes=-1",
		},
		{"memory zeros are unset", "memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(0), Swap: i64(0), Reservation: i64(0)}}, ""},
		{"kernel memory is optional", "memory", specs.LinuxResources{Memory: &specs.LinuxMemory{KernelTCP: i64(4096)}}, "memory.kmem.tcp.limit_in_bytes=4096?"},
		{"swappiness -1 is unset", "memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(^uint64(0))}}, ""},
		{
			"cpu", "cpu",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Quota: i64(20000), Period: u64(100000), Burst: u64(10), RealtimePeriod: u64(1000), RealtimeRuntime: i64(500), Idle: i64(1)}},
			"cpu.shares=512 cpu.cfs_period_us=100000 cpu.cfs_quota_us=20000 cpu.cfs_burst_us=10? cpu.rt_period_us=1000 cpu.rt_runtime_us=500 cpu.idle=1",
		},
		{"cpu quota -1", "cpu", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}}, "cpu.cfs_quota_us=-1"},
		{"cpuset", "cpuset", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}}, "cpuset.cpus=0-1 cpuset.mems=0"},
		{"pids", "pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(7)}}, "pids.max=7"},
		{"pids unlimited", "pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, "pids.max=max"},
		{"pids zero is init alone (runc 1.5)", "pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, "pids.max=1"},
		{"pids unset", "pids", specs.LinuxResources{Pids: &specs.LinuxPids{}}, ""},
		{
			"blkio", "blkio",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				Weight: u16(300), LeafWeight: u16(200),
				WeightDevice:          []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(100), LeafWeight: u16(50)}},
				ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}, {LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 2000}},
			}},
			"blkio.weight=300 blkio.leaf_weight=200 blkio.weight_device=8:0 100 blkio.leaf_weight_device=8:0 50 blkio.throttle.read_bps_device=8:0 1000 blkio.throttle.read_bps_device=8:16 2000",
		},
		{
			"hugetlb", "hugetlb",
			specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}},
			"hugetlb.2MB.limit_in_bytes=4194304 hugetlb.2MB.rsvd.limit_in_bytes=4194304?",
		},
		{"net_cls", "net_cls", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(0x100001)}}, "net_cls.classid=1048577"},
		{"net_prio", "net_prio", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}}}, "net_prio.ifpriomap=eth0 5"},
		{"rdma", "rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: u32(3), HcaObjects: u32(100)}}}, "rdma.max=mlx5_0 hca_handle=3 hca_object=100"},
		{
			"devices", "devices",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rw"}, {Allow: true, Type: "b", Major: i64(7), Access: "m"}}},
			"devices.deny=a devices.deny=a devices.allow=c 1:3 rw devices.allow=b 7:* m",
		},
		{
			"device access letters beyond rwm left out", "devices",
			specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "mrx"}}},
			"devices.deny=a devices.allow=c 1:3 rm",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(t, tc.ctrl, &tc.r); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, ctrl, field string
		r                 specs.LinuxResources
	}{
		{"swap below limit", "memory", "memory.swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20), Swap: i64(50 << 20)}}},
		{"swappiness", "memory", "memory.swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}}},
		{"pagesize", "hugetlb", "hugepageLimits[0].pageSize", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2XB"}}}},
		{"device type", "devices", "devices[0]", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}},
		{"device access", "devices", "devices[0]", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Access: "xq"}}}},
		{"ifname", "net_prio", "network.priorities[0]", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "a b"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.ctrl, &tc.r)
			if err == nil || !strings.Contains(err.Error(), "linux.resources."+tc.field) {
				t.Errorf("err = %v, want one naming linux.resources.%s", err, tc.field)
			}
		})
	}
	if _, err := Render("nosuch", &specs.LinuxResources{}); err == nil {
		t.Error("unknown controller accepted")
	}
}

func TestFieldsNamed(t *testing.T) {
	ws, _ := Render("memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20)}})
	if len(ws) != 1 || ws[0].Field != "linux.resources.memory.limit" {
		t.Errorf("field = %+v", ws)
	}
}
