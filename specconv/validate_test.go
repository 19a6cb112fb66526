package specconv

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func TestLinuxProcess(t *testing.T) {
	runCases(t, []convCase{
		{name: "personality LINUX", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Personality == nil || *c.Personality != 0 {
				t.Errorf("Personality = %v", c.Personality)
			}
		}},
		{name: "personality LINUX32", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Personality == nil || *c.Personality != 8 {
				t.Errorf("Personality = %v", c.Personality)
			}
		}},
		{name: "personality unknown", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"}
		}, wantField: "linux.personality.domain", wantErr: `unknown domain "LINUX64"`},
		{name: "personality missing", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Personality = &specs.LinuxPersonality{}
		}, wantField: "linux.personality.domain", wantErr: "missing"},
		{name: "personality flags", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"X"}}
		}, wantField: "linux.personality.flags[0]", wantErr: "unsupported flag"},
		{name: "seccomp and label copied", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
			s.Linux.MountLabel = "system_u:object_r:container_file_t:s0"
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Process.Seccomp == nil || c.Process.Seccomp.DefaultAction != specs.ActErrno || c.MountLabel == "" {
				t.Errorf("Seccomp %v MountLabel %q", c.Process.Seccomp, c.MountLabel)
			}
		}},
		{name: "masked and readonly paths", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.MaskedPaths = []string{"/proc/kcore", "/sys/firmware"}
			s.Linux.ReadonlyPaths = []string{"/proc/sys"}
		}, check: func(t *testing.T, c *configs.Config) {
			if !reflect.DeepEqual(c.MaskedPaths, []string{"/proc/kcore", "/sys/firmware"}) ||
				!reflect.DeepEqual(c.ReadonlyPaths, []string{"/proc/sys"}) {
				t.Errorf("MaskedPaths %v ReadonlyPaths %v", c.MaskedPaths, c.ReadonlyPaths)
			}
		}},
		{name: "masked path relative", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.MaskedPaths = []string{"/proc/kcore", "proc/keys"}
		}, wantField: "linux.maskedPaths[1]", wantErr: "not an absolute path"},
		{name: "readonly path empty", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.ReadonlyPaths = []string{""}
		}, wantField: "linux.readonlyPaths[0]", wantErr: "missing"},
	})
}

func TestHooks(t *testing.T) {
	hooks := func(h specs.Hooks) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, _ *Options) { s.Hooks = &h }
	}
	ok := specs.Hook{Path: "/bin/true", Args: []string{"true"}, Env: []string{"A=1"}, Timeout: ptr(5)}
	runCases(t, []convCase{
		{name: "all lists", mutate: hooks(specs.Hooks{
			Prestart: []specs.Hook{ok}, CreateRuntime: []specs.Hook{ok}, CreateContainer: []specs.Hook{ok},
			StartContainer: []specs.Hook{ok}, Poststart: []specs.Hook{ok}, Poststop: []specs.Hook{ok, ok},
		}), check: func(t *testing.T, c *configs.Config) {
			if c.Hooks == nil || len(c.Hooks.Poststop) != 2 || c.Hooks.Prestart[0].Path != "/bin/true" {
				t.Errorf("Hooks = %+v", c.Hooks)
			}
		}},
		{
			name: "prestart relative", mutate: hooks(specs.Hooks{Prestart: []specs.Hook{{Path: "true"}}}),
			wantField: "hooks.prestart[0].path", wantErr: "not an absolute path",
		},
		{
			name: "createRuntime missing path", mutate: hooks(specs.Hooks{CreateRuntime: []specs.Hook{ok, {}}}),
			wantField: "hooks.createRuntime[1].path", wantErr: "missing",
		},
		{
			name: "createContainer zero timeout", mutate: hooks(specs.Hooks{CreateContainer: []specs.Hook{{Path: "/x", Timeout: ptr(0)}}}),
			wantField: "hooks.createContainer[0].timeout", wantErr: "greater than zero",
		},
		{
			name: "startContainer negative timeout", mutate: hooks(specs.Hooks{StartContainer: []specs.Hook{{Path: "/x", Timeout: ptr(-1)}}}),
			wantField: "hooks.startContainer[0].timeout", wantErr: "greater than zero",
		},
		{
			name: "poststart nul arg", mutate: hooks(specs.Hooks{Poststart: []specs.Hook{{Path: "/x", Args: []string{"x", "\x00"}}}}),
			wantField: "hooks.poststart[0].args[1]", wantErr: "NUL",
		},
		{
			name: "poststop nul env", mutate: hooks(specs.Hooks{Poststop: []specs.Hook{{Path: "/x", Env: []string{"\x00"}}}}),
			wantField: "hooks.poststop[0].env[0]", wantErr: "NUL",
		},
	})
}

func TestCgroupsPath(t *testing.T) {
	path := func(p string, systemd bool) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, o *Options) {
			s.Linux.CgroupsPath = p
			o.SystemdCgroup = systemd
		}
	}
	want := func(p string) func(*testing.T, *configs.Config) {
		return func(t *testing.T, c *configs.Config) {
			if c.CgroupsPath != p {
				t.Errorf("CgroupsPath = %q, want %q", c.CgroupsPath, p)
			}
		}
	}
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(10))}}
	runCases(t, []convCase{
		{name: "default", mutate: path("", false), check: want("/c1")},
		{name: "absolute cleaned", mutate: path("/a/../b//c/", false), check: want("/b/c")},
		{name: "relative kept", mutate: path("a/./b", false), check: want("a/b")},
		{
			name: "relative escaping", mutate: path("a/../../b", false),
			wantField: "linux.cgroupsPath", wantErr: "leaves berth's own cgroup",
		},
		{name: "relative dot", mutate: path("./", false), wantField: "linux.cgroupsPath"},
		{name: "nul", mutate: path("/a\x00", false), wantField: "linux.cgroupsPath", wantErr: "NUL"},
		{
			name: "no id", mutate: func(s *specs.Spec, o *Options) { o.ID = "" },
			wantField: "linux.cgroupsPath", wantErr: "cannot name a cgroup",
		},
		{
			name: "path-like id", mutate: func(s *specs.Spec, o *Options) { o.ID = "../x" },
			wantField: "linux.cgroupsPath", wantErr: "cannot name a cgroup",
		},
		{name: "systemd", mutate: path("system.slice:docker:abc", true), check: func(t *testing.T, c *configs.Config) {
			if c.CgroupsPath != "system.slice:docker:abc" || !c.SystemdCgroup {
				t.Errorf("CgroupsPath %q SystemdCgroup %v", c.CgroupsPath, c.SystemdCgroup)
			}
		}},
		{name: "systemd empty slice", mutate: path(":crio:abc", true), check: want(":crio:abc")},
		{name: "systemd default", mutate: path("", true), check: want(":berth:c1")},
		{
			name: "systemd default no id", mutate: func(s *specs.Spec, o *Options) { o.SystemdCgroup, o.ID = true, "" },
			wantField: "linux.cgroupsPath",
		},
		{
			name: "systemd two parts", mutate: path("system.slice:abc", true),
			wantField: "linux.cgroupsPath", wantErr: "not slice:prefix:name",
		},
		{
			name: "systemd path", mutate: path("/a/b", true),
			wantField: "linux.cgroupsPath", wantErr: "not slice:prefix:name",
		},
		{
			name: "systemd bad slice", mutate: path("system:docker:abc", true),
			wantField: "linux.cgroupsPath", wantErr: "not a systemd slice name",
		},
		{
			name: "systemd empty name", mutate: path("system.slice:docker:", true),
			wantField: "linux.cgroupsPath", wantErr: "name must be non-empty",
		},
		{
			name: "resources copied", mutate: func(s *specs.Spec, _ *Options) { s.Linux.Resources = res },
			check: func(t *testing.T, c *configs.Config) {
				if c.Resources != res {
					t.Errorf("Resources = %v", c.Resources)
				}
			},
		},
	})
}
