package specconv

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Every value the cgroup drivers or the seccomp compiler would refuse is a
// conversion error, before create forks.
func TestValuesCheckedBeforeFork(t *testing.T) {
	res := func(f func(r *specs.LinuxResources)) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, _ *Options) {
			s.Linux.Resources = &specs.LinuxResources{}
			f(s.Linux.Resources)
		}
	}
	runCases(t, []convCase{
		{
			name: "memory limit below -1", mutate: res(func(r *specs.LinuxResources) { r.Memory = &specs.LinuxMemory{Limit: ptr(int64(-5))} }),
			wantField: "linux.resources.memory.limit", wantErr: "negative",
		},
		{name: "swap below limit", mutate: res(func(r *specs.LinuxResources) {
			r.Memory = &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Swap: ptr(int64(1 << 20))}
		}), wantField: "linux.resources.memory.swap", wantErr: "below"},
		{
			name: "swappiness", mutate: res(func(r *specs.LinuxResources) { r.Memory = &specs.LinuxMemory{Swappiness: ptr(uint64(101))} }),
			wantField: "linux.resources.memory.swappiness", wantErr: "0..100",
		},
		{
			name: "cpus list", mutate: res(func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{Cpus: "0-x"} }),
			wantField: "linux.resources.cpu.cpus", wantErr: "not a list",
		},
		{
			name: "cpu quota", mutate: res(func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{Quota: ptr(int64(-7))} }),
			wantField: "linux.resources.cpu.quota", wantErr: "negative",
		},
		{name: "hugepage size", mutate: res(func(r *specs.LinuxResources) {
			r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "../2MB", Limit: 1}}
		}), wantField: "linux.resources.hugepageLimits[0].pageSize", wantErr: "not a size"},
		{name: "device type", mutate: res(func(r *specs.LinuxResources) {
			r.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Type: "x", Access: "rwm"}}
		}), wantField: "linux.resources.devices[0]", wantErr: "not a, b or c"},
		{
			name: "unified path", mutate: res(func(r *specs.LinuxResources) { r.Unified = map[string]string{"../memory.max": "1"} }),
			wantField: `linux.resources.unified["../memory.max"]`, wantErr: "not a path",
		},
		{name: "rdma device", mutate: res(func(r *specs.LinuxResources) {
			r.Rdma = map[string]specs.LinuxRdma{"mlx 0": {HcaHandles: ptr(uint32(1))}}
		}), wantField: `linux.resources.rdma["mlx 0"]`, wantErr: "device name"},
		// A value only one hierarchy refuses is the host's driver's to refuse.
		{name: "realtime passes", mutate: res(func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{RealtimeRuntime: ptr(int64(1000))} })},
		{name: "swap alone passes", mutate: res(func(r *specs.LinuxResources) { r.Memory = &specs.LinuxMemory{Swap: ptr(int64(1 << 30))} })},
		{name: "seccomp unknown syscall", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getpid"}, Action: specs.ActErrno},
				{Names: []string{"no_such_syscall"}, Action: specs.ActErrno},
			}}
		}, wantField: "linux.seccomp.syscalls[1].names[0]", wantErr: `unknown syscall "no_such_syscall"`},
		{name: "seccomp action", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}
		}, wantField: "linux.seccomp.defaultAction", wantErr: "unknown action"},
		{name: "capability empty", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Capabilities = &specs.LinuxCapabilities{Effective: []string{"CAP_KILL", ""}}
		}, wantField: "process.capabilities.effective[1]", wantErr: "empty"},
		{name: "capability with a space", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_NET ADMIN"}}
		}, wantField: "process.capabilities.bounding[0]", wantErr: "not a capability name"},
		{
			name: "apparmor newline", mutate: func(s *specs.Spec, _ *Options) { s.Process.ApparmorProfile = "a\nb" },
			wantField: "process.apparmorProfile", wantErr: "control character",
		},
	})
}

// SpecProcess is what ConvertProcess turns back into the same process:
// exec's flags edit it and convert it again.
func TestSpecProcessRoundTrip(t *testing.T) {
	s := baseSpec()
	s.Process.User = specs.User{UID: 5, GID: 6, AdditionalGids: []uint32{7}, Umask: ptr(uint32(0o22))}
	s.Process.Terminal = true
	s.Process.ConsoleSize = &specs.Box{Width: 100, Height: 30}
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}}
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}
	s.Process.NoNewPrivileges = true
	s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch}
	c, err := Convert(s, baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	sp := SpecProcess(&c.Process)
	p, err := ConvertProcess(sp, c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*p, c.Process) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *p, c.Process)
	}
	sp.Args[0] = "changed"
	sp.Capabilities.Bounding = append(sp.Capabilities.Bounding, "CAP_CHOWN")
	if c.Process.Args[0] == "changed" {
		t.Errorf("SpecProcess shares args with the config")
	}
	// an old state without rlimit names still converts
	c.Process.Rlimits = []configs.Rlimit{{Type: c.Process.Rlimits[0].Type, Soft: 1, Hard: 2}}
	if got := SpecProcess(&c.Process).Rlimits[0].Type; got != "RLIMIT_NOFILE" {
		t.Errorf("rlimit name = %q", got)
	}
}
