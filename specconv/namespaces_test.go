package specconv

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func userNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
}

func TestNamespaces(t *testing.T) {
	runCases(t, []convCase{
		{name: "all types in order", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = []specs.LinuxNamespace{
				{Type: "time"},
				{Type: "cgroup"},
				{Type: "user"},
				{Type: "uts"},
				{Type: "ipc"},
				{Type: "mount"},
				{Type: "network", Path: "/run/netns/x"},
				{Type: "pid"},
			}
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, check: func(t *testing.T, c *configs.Config) {
			want := []configs.Namespace{
				{Type: "time", Flag: unix.CLONE_NEWTIME},
				{Type: "cgroup", Flag: unix.CLONE_NEWCGROUP},
				{Type: "user", Flag: unix.CLONE_NEWUSER},
				{Type: "uts", Flag: unix.CLONE_NEWUTS},
				{Type: "ipc", Flag: unix.CLONE_NEWIPC},
				{Type: "mount", Flag: unix.CLONE_NEWNS},
				{Type: "network", Flag: unix.CLONE_NEWNET, Path: "/run/netns/x"},
				{Type: "pid", Flag: unix.CLONE_NEWPID},
			}
			if !reflect.DeepEqual(c.Namespaces, want) {
				t.Errorf("Namespaces = %+v", c.Namespaces)
			}
			if want := []configs.IDMap{{HostID: 1000, Size: 1}}; !reflect.DeepEqual(c.UIDMappings, want) || !reflect.DeepEqual(c.GIDMappings, want) {
				t.Errorf("maps %v %v", c.UIDMappings, c.GIDMappings)
			}
		}},
		{
			name: "unknown type", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Namespaces[2].Type = "foo" },
			wantField: "linux.namespaces[2].type", wantErr: `unknown namespace type "foo"`,
		},
		{
			name: "empty type", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Namespaces[0].Type = "" },
			wantField: "linux.namespaces[0].type", wantErr: "missing",
		},
		{name: "duplicate", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "pid", Path: "/proc/1/ns/pid"})
		}, wantField: "linux.namespaces[5].type", wantErr: `duplicate namespace type "pid" (also linux.namespaces[0])`},
		{
			name: "relative path", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Namespaces[1].Path = "run/netns/x" },
			wantField: "linux.namespaces[1].path", wantErr: "not an absolute path",
		},
		{
			name: "nul path", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Namespaces[1].Path = "/run/\x00" },
			wantField: "linux.namespaces[1].path", wantErr: "NUL",
		},
		{
			name: "path cleaned", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Namespaces[1].Path = "/run//netns/x/" },
			check: func(t *testing.T, c *configs.Config) {
				if p, _ := c.NamespacePath("network"); p != "/run/netns/x" {
					t.Errorf("path = %q", p)
				}
			},
		},
		{name: "new user ns without uid maps", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings = nil
		}, wantField: "linux.uidMappings", wantErr: "needs at least one uid mapping"},
		{name: "new user ns without gid maps", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.GIDMappings = nil
		}, wantField: "linux.gidMappings", wantErr: "needs at least one gid mapping"},
		{name: "joined user ns without maps", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.Namespaces[5].Path = "/proc/42/ns/user"
			s.Linux.UIDMappings, s.Linux.GIDMappings = nil, nil
		}, check: func(t *testing.T, c *configs.Config) {
			if p, ok := c.NamespacePath("user"); !ok || p != "/proc/42/ns/user" {
				t.Errorf("user ns %q %v", p, ok)
			}
		}},
		{name: "uid maps without user ns", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}, wantField: "linux.uidMappings", wantErr: "without a user namespace"},
		{name: "gid maps without user ns", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}, wantField: "linux.gidMappings", wantErr: "without a user namespace"},
		{name: "map size zero", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings[0].Size = 0
		}, wantField: "linux.uidMappings[0].size", wantErr: "greater than zero"},
		{name: "map container wrap", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.GIDMappings[0].ContainerID = 0xffffffff
			s.Linux.GIDMappings[0].Size = 2
		}, wantField: "linux.gidMappings[0]", wantErr: "container range"},
		{name: "map host wrap", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings[0].HostID = 0xfffffff0
		}, wantField: "linux.uidMappings[0]", wantErr: "host range"},
		{name: "map full id space", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings[0] = specs.LinuxIDMapping{ContainerID: 0, HostID: 0, Size: 0xffffffff}
		}},
		{name: "map container overlap", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings = append(s.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 65535, HostID: 1, Size: 2})
		}, wantField: "linux.uidMappings[1]", wantErr: "container range overlaps linux.uidMappings[0]"},
		{name: "map host overlap", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings = append(s.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 70000, HostID: 100001, Size: 1})
		}, wantField: "linux.uidMappings[1]", wantErr: "host range overlaps"},
		{name: "too many maps", mutate: func(s *specs.Spec, _ *Options) {
			userNS(s)
			s.Linux.UIDMappings = nil
			for i := range uint32(maxIDMapLines + 1) {
				s.Linux.UIDMappings = append(s.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: i, HostID: i, Size: 1})
			}
		}, wantField: "linux.uidMappings", wantErr: "at most 340"},
		{name: "time offsets", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 100}, "boottime": {Secs: -5, Nanosecs: 7}}
		}, check: func(t *testing.T, c *configs.Config) {
			if c.TimeOffsets["monotonic"].Secs != 100 || c.TimeOffsets["boottime"].Nanosecs != 7 {
				t.Errorf("TimeOffsets = %v", c.TimeOffsets)
			}
		}},
		{name: "time offsets without time ns", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, wantField: "linux.timeOffsets", wantErr: "without a time namespace"},
		{name: "time offsets with joined time ns", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time", Path: "/proc/9/ns/time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, wantField: "linux.timeOffsets", wantErr: "joining an existing time namespace"},
		{name: "time offsets unknown clock", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}
		}, wantField: `linux.timeOffsets["realtime"]`, wantErr: "unknown clock"},
		{name: "time offsets nanosecs", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Nanosecs: 1e9}}
		}, wantField: `linux.timeOffsets["boottime"].nanosecs`, wantErr: "below one second"},
	})
}

func TestUTS(t *testing.T) {
	noUTS := func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:3] }
	runCases(t, []convCase{
		{
			name: "hostname without uts", mutate: func(s *specs.Spec, _ *Options) { noUTS(s) },
			wantField: "hostname", wantErr: "without a uts namespace",
		},
		{name: "domainname without uts", mutate: func(s *specs.Spec, _ *Options) {
			noUTS(s)
			s.Hostname, s.Domainname = "", "example.org"
		}, wantField: "domainname", wantErr: "without a uts namespace"},
		{name: "neither without uts", mutate: func(s *specs.Spec, _ *Options) {
			noUTS(s)
			s.Hostname = ""
		}},
		{name: "joined uts", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces[3].Path = "/proc/7/ns/uts"
			s.Domainname = "example.org"
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Hostname != "box" || c.Domainname != "example.org" {
				t.Errorf("Hostname %q Domainname %q", c.Hostname, c.Domainname)
			}
		}},
	})
}

func TestSysctl(t *testing.T) {
	set := func(kv ...string) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, _ *Options) {
			s.Linux.Sysctl = map[string]string{}
			for i := 0; i < len(kv); i += 2 {
				s.Linux.Sysctl[kv[i]] = kv[i+1]
			}
		}
	}
	without := func(t string, kv ...string) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, o *Options) {
			set(kv...)(s, o)
			var keep []specs.LinuxNamespace
			for _, ns := range s.Linux.Namespaces {
				if string(ns.Type) != t {
					keep = append(keep, ns)
				}
			}
			s.Linux.Namespaces = keep
		}
	}
	runCases(t, []convCase{
		{
			name: "namespaced ones", mutate: set("net.ipv4.ip_forward", "1", "kernel.shmmax", "4096",
				"fs.mqueue.msg_max", "20", "kernel.domainname", "x", "net.ipv4.conf.eth0/100.forwarding", "1"),
			check: func(t *testing.T, c *configs.Config) {
				if len(c.Sysctl) != 5 || c.Sysctl["kernel.shmmax"] != "4096" {
					t.Errorf("Sysctl = %v", c.Sysctl)
				}
			},
		},
		{name: "empty key", mutate: set("", "1"), wantField: "linux.sysctl", wantErr: "empty key"},
		{name: "empty part", mutate: set("net..x", "1"), wantField: `linux.sysctl["net..x"]`, wantErr: "not a valid sysctl name"},
		{name: "dotdot part", mutate: set("net.//.x", "1"), wantField: `linux.sysctl["net.//.x"]`, wantErr: "not a valid sysctl name"},
		{name: "nul", mutate: set("net.x", "1\x00"), wantField: `linux.sysctl["net.x"]`, wantErr: "NUL"},
		{
			name: "net without netns", mutate: without("network", "net.core.somaxconn", "1"),
			wantField: `linux.sysctl["net.core.somaxconn"]`, wantErr: "needs a network namespace",
		},
		{
			name: "ipc without ipcns", mutate: without("ipc", "kernel.msgmax", "1"),
			wantField: `linux.sysctl["kernel.msgmax"]`, wantErr: "needs an ipc namespace",
		},
		{
			name: "mqueue without ipcns", mutate: without("ipc", "fs.mqueue.queues_max", "1"),
			wantField: `linux.sysctl["fs.mqueue.queues_max"]`, wantErr: "needs an ipc namespace",
		},
		{name: "domainname without uts", mutate: func(s *specs.Spec, o *Options) {
			without("uts", "kernel.domainname", "x")(s, o)
			s.Hostname = ""
		}, wantField: `linux.sysctl["kernel.domainname"]`, wantErr: "needs a uts namespace"},
		{
			name: "hostname sysctl", mutate: set("kernel.hostname", "x"),
			wantField: `linux.sysctl["kernel.hostname"]`, wantErr: "conflicts with the hostname field",
		},
		{
			name: "host-wide", mutate: set("vm.swappiness", "1"),
			wantField: `linux.sysctl["vm.swappiness"]`, wantErr: "not namespaced",
		},
	})
}
