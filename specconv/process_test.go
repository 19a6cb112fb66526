package specconv

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func ptr[T any](v T) *T { return &v }

func TestProcess(t *testing.T) {
	proc := func(f func(p *specs.Process)) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, _ *Options) { f(s.Process) }
	}
	runCases(t, []convCase{
		{
			name: "missing", mutate: func(s *specs.Spec, _ *Options) { s.Process = nil },
			wantField: "process", wantErr: "missing",
		},
		{
			name: "no args", mutate: proc(func(p *specs.Process) { p.Args = nil }),
			wantField: "process.args", wantErr: "at least one",
		},
		{
			name: "empty args[0]", mutate: proc(func(p *specs.Process) { p.Args = []string{""} }),
			wantField: "process.args[0]", wantErr: "empty",
		},
		{
			name: "nul in args", mutate: proc(func(p *specs.Process) { p.Args = []string{"sh", "a\x00"} }),
			wantField: "process.args[1]", wantErr: "NUL",
		},
		{
			name: "env without =", mutate: proc(func(p *specs.Process) { p.Env = []string{"A=1", "B"} }),
			wantField: "process.env[1]", wantErr: "not NAME=value",
		},
		{
			name: "env empty name", mutate: proc(func(p *specs.Process) { p.Env = []string{"=1"} }),
			wantField: "process.env[0]", wantErr: "empty name",
		},
		{
			name: "env nul", mutate: proc(func(p *specs.Process) { p.Env = []string{"A=\x00"} }),
			wantField: "process.env[0]", wantErr: "NUL",
		},
		{
			name: "cwd missing", mutate: proc(func(p *specs.Process) { p.Cwd = "" }),
			wantField: "process.cwd", wantErr: "missing",
		},
		{
			name: "cwd relative", mutate: proc(func(p *specs.Process) { p.Cwd = "home" }),
			wantField: "process.cwd", wantErr: "not an absolute path",
		},
		{name: "fields copied", mutate: proc(func(p *specs.Process) {
			p.Cwd = "/home/u/"
			p.User = specs.User{UID: 1000, GID: 100, AdditionalGids: []uint32{5, 6}, Umask: ptr(uint32(0o027)), Username: "ignored"}
			p.Terminal = true
			p.ConsoleSize = &specs.Box{Width: 80, Height: 24}
			p.NoNewPrivileges = true
			p.ApparmorProfile = "profile"
			p.SelinuxLabel = "label"
			p.OOMScoreAdj = ptr(-1000)
			p.Capabilities = &specs.LinuxCapabilities{
				Bounding: []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
				Ambient:  []string{"CAP_CHECKPOINT_RESTORE"},
			}
			p.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 7}
			p.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO, Priority: 99}
			p.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0-3,7", Final: "5"}
		}), check: func(t *testing.T, c *configs.Config) {
			p := c.Process
			if p.Cwd != "/home/u" || p.UID != 1000 || p.GID != 100 || !reflect.DeepEqual(p.AdditionalGids, []uint32{5, 6}) ||
				*p.Umask != 0o027 || !p.Terminal || p.ConsoleWidth != 80 || p.ConsoleHeight != 24 || !p.NoNewPrivileges ||
				p.ApparmorProfile != "profile" || p.SelinuxLabel != "label" || *c.OOMScoreAdj != -1000 ||
				p.Capabilities.Bounding[1] != "CAP_NET_BIND_SERVICE" || p.IOPriority.Priority != 7 ||
				p.Scheduler.Priority != 99 || p.ExecCPUAffinity.Initial != "0-3,7" {
				t.Errorf("Process = %+v", p)
			}
		}},
		{name: "console size ignored without terminal", mutate: proc(func(p *specs.Process) {
			p.ConsoleSize = &specs.Box{Width: 1 << 20, Height: 24}
		}), check: func(t *testing.T, c *configs.Config) {
			if c.Process.ConsoleWidth != 0 || c.Process.Terminal {
				t.Errorf("Process = %+v", c.Process)
			}
		}},
		{name: "console width too big", mutate: proc(func(p *specs.Process) {
			p.Terminal = true
			p.ConsoleSize = &specs.Box{Width: 70000, Height: 24}
		}), wantField: "process.consoleSize.width", wantErr: "out of range"},
		{name: "console height too big", mutate: proc(func(p *specs.Process) {
			p.Terminal = true
			p.ConsoleSize = &specs.Box{Width: 1, Height: 70000}
		}), wantField: "process.consoleSize.height", wantErr: "out of range"},
		{
			name: "umask too big", mutate: proc(func(p *specs.Process) { p.User.Umask = ptr(uint32(0o1000)) }),
			wantField: "process.user.umask", wantErr: "out of range",
		},
		{
			name: "oom too low", mutate: proc(func(p *specs.Process) { p.OOMScoreAdj = ptr(-1001) }),
			wantField: "process.oomScoreAdj", wantErr: "out of range",
		},
		{
			name: "oom too high", mutate: proc(func(p *specs.Process) { p.OOMScoreAdj = ptr(1001) }),
			wantField: "process.oomScoreAdj", wantErr: "out of range",
		},
		// runtime-spec 1.3: a capability that cannot be granted is a
		// warning (init's), not a config error; the names pass through.
		{name: "unknown capabilities pass", mutate: proc(func(p *specs.Process) {
			p.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_FOO"}, Ambient: []string{"cap_chown"}}
		}), check: func(t *testing.T, c *configs.Config) {
			if got := c.Process.Capabilities.Bounding; len(got) != 2 || got[1] != "CAP_FOO" {
				t.Errorf("bounding = %v", got)
			}
		}},
		{name: "ioprio class", mutate: proc(func(p *specs.Process) {
			p.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_NONE"}
		}), wantField: "process.ioPriority.class", wantErr: "unknown class"},
		{name: "ioprio class missing", mutate: proc(func(p *specs.Process) {
			p.IOPriority = &specs.LinuxIOPriority{}
		}), wantField: "process.ioPriority.class", wantErr: "missing"},
		{name: "ioprio priority", mutate: proc(func(p *specs.Process) {
			p.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 8}
		}), wantField: "process.ioPriority.priority", wantErr: "out of range"},
		{name: "execCPUAffinity initial", mutate: proc(func(p *specs.Process) {
			p.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0-"}
		}), wantField: "process.execCPUAffinity.initial", wantErr: "not a cpu list"},
		{name: "execCPUAffinity final backwards", mutate: proc(func(p *specs.Process) {
			p.ExecCPUAffinity = &specs.CPUAffinity{Final: "1,5-2"}
		}), wantField: "process.execCPUAffinity.final", wantErr: "backwards"},
		{name: "execCPUAffinity junk", mutate: proc(func(p *specs.Process) {
			p.ExecCPUAffinity = &specs.CPUAffinity{Final: "x"}
		}), wantField: "process.execCPUAffinity.final", wantErr: "not a cpu list"},
	})
}

func TestScheduler(t *testing.T) {
	sched := func(s specs.Scheduler) func(*specs.Spec, *Options) {
		return func(sp *specs.Spec, _ *Options) { sp.Process.Scheduler = &s }
	}
	cases := []convCase{
		{name: "missing policy", mutate: sched(specs.Scheduler{}), wantField: "process.scheduler.policy", wantErr: "missing"},
		{
			name: "unknown policy", mutate: sched(specs.Scheduler{Policy: "SCHED_FOO"}),
			wantField: "process.scheduler.policy", wantErr: `unknown policy "SCHED_FOO"`,
		},
		{
			name: "unknown flag", mutate: sched(specs.Scheduler{
				Policy: specs.SchedOther,
				Flags:  []specs.LinuxSchedulerFlag{specs.SchedFlagReclaim, "SCHED_FLAG_X"},
			}),
			wantField: "process.scheduler.flags[1]", wantErr: "unknown flag",
		},
		{
			name: "nice", mutate: sched(specs.Scheduler{Policy: specs.SchedOther, Nice: 20}),
			wantField: "process.scheduler.nice", wantErr: "out of range",
		},
		{
			name: "rr priority 0", mutate: sched(specs.Scheduler{Policy: specs.SchedRR}),
			wantField: "process.scheduler.priority", wantErr: "out of range",
		},
		{
			name: "other with priority", mutate: sched(specs.Scheduler{Policy: specs.SchedBatch, Priority: 1}),
			wantField: "process.scheduler.priority", wantErr: "only SCHED_FIFO and SCHED_RR",
		},
		{
			name: "deadline fields", mutate: sched(specs.Scheduler{Policy: specs.SchedIdle, Runtime: 1}),
			wantField: "process.scheduler", wantErr: "SCHED_DEADLINE only",
		},
		{name: "deadline ok", mutate: sched(specs.Scheduler{
			Policy: specs.SchedDeadline, Runtime: 1, Deadline: 2, Period: 3,
			Flags: []specs.LinuxSchedulerFlag{
				specs.SchedFlagResetOnFork, specs.SchedFlagDLOverrun, specs.SchedFlagKeepPolicy,
				specs.SchedFlagKeepParams, specs.SchedFlagUtilClampMin, specs.SchedFlagUtilClampMax,
			},
		})},
	}
	for _, p := range []specs.LinuxSchedulerPolicy{specs.SchedOther, specs.SchedBatch, specs.SchedISO, specs.SchedIdle} {
		cases = append(cases, convCase{name: string(p), mutate: sched(specs.Scheduler{Policy: p, Nice: -20})})
	}
	runCases(t, cases)
}

func TestRlimits(t *testing.T) {
	names := map[string]int{
		"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
		"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
		"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
		"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
		"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
		"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
	}
	if len(names) != 16 {
		t.Fatal("the test must list 16 rlimits")
	}
	for name, num := range names {
		s := baseSpec()
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: name, Soft: 10, Hard: ^uint64(0)}}
		c, err := Convert(s, baseOptions())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := []configs.Rlimit{{Type: num, Name: name, Soft: 10, Hard: ^uint64(0)}}; !reflect.DeepEqual(c.Process.Rlimits, want) {
			t.Errorf("%s: Rlimits = %+v", name, c.Process.Rlimits)
		}
	}
	runCases(t, []convCase{
		{name: "unknown", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FOO"}}
		}, wantField: "process.rlimits[0].type", wantErr: `unknown rlimit "RLIMIT_FOO"`},
		{name: "duplicate", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE"}, {Type: "RLIMIT_CORE"}, {Type: "RLIMIT_NOFILE"}}
		}, wantField: "process.rlimits[2].type", wantErr: "duplicate rlimit"},
		{name: "soft above hard", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2048, Hard: 1024}}
		}, wantField: "process.rlimits[0]", wantErr: "soft limit 2048 is above hard limit 1024"},
		{name: "order kept", mutate: func(s *specs.Spec, _ *Options) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 2}, {Type: "RLIMIT_CORE"}}
		}, check: func(t *testing.T, c *configs.Config) {
			want := []configs.Rlimit{{Type: unix.RLIMIT_NOFILE, Name: "RLIMIT_NOFILE", Soft: 1, Hard: 2}, {Type: unix.RLIMIT_CORE, Name: "RLIMIT_CORE"}}
			if !reflect.DeepEqual(c.Process.Rlimits, want) {
				t.Errorf("Rlimits = %+v", c.Process.Rlimits)
			}
		}},
	})
}
