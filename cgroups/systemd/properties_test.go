package systemd

import (
	"reflect"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func asMap(ps []sd.Property) map[string]any {
	m := map[string]any{}
	for _, p := range ps {
		m[p.Name] = p.Value.Value()
	}
	return m
}

var v2 = Host{V2: true, Version: 252}

func TestResourceProperties(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		h    Host
		want map[string]any
	}{
		{"nothing", specs.LinuxResources{}, v2, map[string]any{}},
		{
			"memory",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(32 << 20), Swap: i64(96 << 20)}},
			v2,
			map[string]any{"MemoryMax": uint64(64 << 20), "MemoryLow": uint64(32 << 20), "MemorySwapMax": uint64(32 << 20)},
		},
		{
			"memory unlimited",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			v2,
			map[string]any{"MemoryMax": infinity, "MemorySwapMax": infinity},
		},
		{
			"swap equal to limit is no swap",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20), Swap: i64(1 << 20)}},
			v2,
			map[string]any{"MemoryMax": uint64(1 << 20), "MemorySwapMax": uint64(0)},
		},
		{"docker's zeros mean unset", specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: i64(0), Swap: i64(0), Reservation: i64(0)},
			CPU:    &specs.LinuxCPU{Shares: u64(0), Quota: i64(0), Period: u64(0)},
		}, v2, map[string]any{}},
		{
			"memory v1",
			specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(1)}},
			Host{Version: 252},
			map[string]any{"MemoryLimit": uint64(64 << 20)},
		},
		{
			"cpu",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-1,3", Mems: "0"}},
			v2,
			map[string]any{
				"CPUWeight": uint64(39), "CPUQuotaPeriodUSec": uint64(100000), "CPUQuotaPerSecUSec": uint64(500000),
				"AllowedCPUs": []byte{0x0b}, "AllowedMemoryNodes": []byte{0x01},
			},
		},
		{
			"cpu quota rounded up to whole percent",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(12345)}},
			v2,
			map[string]any{"CPUQuotaPerSecUSec": uint64(130000)},
		},
		{
			"cpu quota unlimited, period only",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(50000)}},
			v2,
			map[string]any{"CPUQuotaPerSecUSec": infinity, "CPUQuotaPeriodUSec": uint64(50000)},
		},
		{
			"old systemd: no period or cpuset properties",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000), Period: u64(200000), Cpus: "0"}},
			Host{V2: true, Version: 241},
			map[string]any{"CPUQuotaPerSecUSec": uint64(100000)},
		},
		{
			"cpu shares v1",
			specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512)}},
			Host{Version: 252},
			map[string]any{"CPUShares": uint64(512)},
		},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}, v2, map[string]any{"TasksMax": uint64(10)}},
		{"pids 0 is 1", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, v2, map[string]any{"TasksMax": uint64(1)}},
		{"pids unlimited", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, v2, map[string]any{"TasksMax": infinity}},
		{"io weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}}, v2, map[string]any{"IOWeight": uint64(4950)}},
		{
			"blkio weight v1",
			specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}},
			Host{Version: 252},
			map[string]any{"BlockIOWeight": uint64(500)},
		},
		{
			"unified",
			specs.LinuxResources{Unified: map[string]string{
				"memory.high": "1048576", "memory.max": "max", "pids.max": "7",
				"cpu.weight": "200", "cpu.max": "25000 50000", "io.weight": "default 100",
			}},
			v2,
			map[string]any{
				"MemoryHigh": uint64(1048576), "MemoryMax": infinity, "TasksMax": uint64(7), "CPUWeight": uint64(200),
				"CPUQuotaPerSecUSec": uint64(500000), "CPUQuotaPeriodUSec": uint64(50000),
			},
		},
	} {
		ps, err := ResourceProperties(&tc.r, tc.h)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := asMap(ps); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func TestResourcePropertiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		want string
	}{
		{"swap without limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(1 << 20)}}, "linux.resources.memory.swap"},
		{"swap below limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(2 << 20), Swap: i64(1 << 20)}}, "linux.resources.memory.swap"},
		{"bad cpus", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}}, "linux.resources.cpu.cpus"},
		{"bad mems", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "x"}}, "linux.resources.cpu.mems"},
		{"bad unified number", specs.LinuxResources{Unified: map[string]string{"pids.max": "ten"}}, "linux.resources.unified.pids.max"},
		{"bad unified cpu.max", specs.LinuxResources{Unified: map[string]string{"cpu.max": "1 2 3"}}, "linux.resources.unified.cpu.max"},
	} {
		_, err := ResourceProperties(&tc.r, v2)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}

func TestUnitProperties(t *testing.T) {
	u, _ := ParseUnit("system.slice:berth:c1", false)
	got := asMap(UnitProperties(u, 42, v2))
	for k, v := range map[string]any{
		"Slice": "system.slice", "Delegate": true, "PIDs": []uint32{42}, "DefaultDependencies": false,
		"MemoryAccounting": true, "CPUAccounting": true, "IOAccounting": true, "TasksAccounting": true,
	} {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	s, _ := ParseUnit("system.slice:x:a-b.slice", false)
	got = asMap(UnitProperties(s, 0, Host{Version: 252}))
	if _, ok := got["Delegate"]; ok {
		t.Errorf("a slice got Delegate: %v", got)
	}
	if _, ok := got["PIDs"]; ok {
		t.Errorf("no pid, but PIDs: %v", got)
	}
	if !reflect.DeepEqual(got["Wants"], []string{"system.slice"}) || got["BlockIOAccounting"] != true {
		t.Errorf("slice on v1: %v", got)
	}
}

func TestRangeToBits(t *testing.T) {
	for in, want := range map[string][]byte{
		"0": {1}, "0-7": {0xff}, "8": {0, 1}, "1,3-4": {0x1a}, " 0-1 , 9 ": {0x03, 0x02},
	} {
		got, err := RangeToBits(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("RangeToBits(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "1,,2", "4-2", "1-x"} {
		if got, err := RangeToBits(in); err == nil {
			t.Errorf("RangeToBits(%q) = %v, want an error", in, got)
		}
	}
}

func TestDevicePropertiesSystemd240(t *testing.T) {
	defer func(f func() (map[string]string, error)) { procDevices = f }(procDevices)
	procDevices = func() (map[string]string, error) {
		t.Error("systemd 240 takes major numbers: /proc/devices is not read")
		return nil, nil
	}
	n := func(v int64) *int64 { return &v }
	got := asMap(DeviceProperties([]specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: n(136), Access: "rwm"},
		{Allow: true, Type: "b", Major: n(199), Access: "r"},
	}, 252))
	want := map[string]any{"DevicePolicy": "strict", "DeviceAllow": []deviceAllow{{"char-136", "rwm"}, {"block-199", "r"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestDeviceProperties(t *testing.T) {
	defer func(f func() (map[string]string, error)) { procDevices = f }(procDevices)
	procDevices = func() (map[string]string, error) {
		return map[string]string{"c136": "pts", "c5": "/dev/tty", "b8": "sd"}, nil
	}
	n := func(v int64) *int64 { return &v }
	deny := specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}
	allow := func(t string, maj, min *int64, acc string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: t, Major: maj, Minor: min, Access: acc}
	}
	open := map[string]any{"DevicePolicy": "auto", "DeviceAllow": []deviceAllow{}}
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  map[string]any
	}{
		{
			"the usual: deny all, then allow",
			[]specs.LinuxDeviceCgroup{
				deny,
				allow("c", nil, nil, "m"), allow("c", n(1), n(3), "rwm"), allow("c", n(1), n(3), "rwm"),
				allow("c", n(136), nil, "rwm"), allow("b", n(8), n(0), "rwx"), allow("c", n(200), nil, "rw"),
			},
			map[string]any{"DevicePolicy": "strict", "DeviceAllow": []deviceAllow{
				{"char-*", "m"}, {"/dev/char/1:3", "rwm"}, {"char-pts", "rwm"}, {"/dev/block/8:0", "rw"},
			}},
		},
		{
			"systemd 239: a whole major by its name",
			[]specs.LinuxDeviceCgroup{deny, allow("c", n(136), nil, "rwm"), allow("c", n(199), nil, "rwm")},
			map[string]any{"DevicePolicy": "strict", "DeviceAllow": []deviceAllow{{"char-pts", "rwm"}}},
		},
		{
			"deny all only",
			[]specs.LinuxDeviceCgroup{{Allow: false, Type: "a"}},
			map[string]any{"DevicePolicy": "strict", "DeviceAllow": []deviceAllow(nil)},
		},
		{"no deny-all first", []specs.LinuxDeviceCgroup{allow("c", n(1), n(3), "rwm")}, open},
		{"a deny after the allows", []specs.LinuxDeviceCgroup{deny, allow("c", nil, nil, "rwm"), {Allow: false, Type: "c", Major: n(1), Minor: n(3)}}, open},
		{"allow all again", []specs.LinuxDeviceCgroup{deny, allow("a", nil, nil, "rwm")}, open},
		{"deny of reads only is not deny-all", []specs.LinuxDeviceCgroup{{Allow: false, Access: "r"}}, open},
		{"any major, one minor", []specs.LinuxDeviceCgroup{deny, allow("c", nil, n(3), "rwm")}, open},
	} {
		if got := asMap(DeviceProperties(tc.rules, 239)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.name, got, tc.want)
		}
	}
}
