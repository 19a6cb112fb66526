package specconv

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// withUserNS maps container ids 0..size-1 of a new user namespace.
func withUserNS(s *specs.Spec, size uint32) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: size}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: size}}
}

var devpts = specs.Mount{
	Destination: "/dev/pts", Type: "devpts", Source: "devpts",
	Options: []string{"nosuid", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
}

func TestMountIDs(t *testing.T) {
	var warned []string
	runCases(t, []convCase{
		{name: "devpts gid unmapped: dropped with a warning", mutate: func(s *specs.Spec, o *Options) {
			withUserNS(s, 1)
			s.Mounts = []specs.Mount{devpts}
			o.Warn = func(m string) { warned = append(warned, m) }
		}, check: func(t *testing.T, c *configs.Config) {
			if d := c.Mounts[0].Data; d != "newinstance,ptmxmode=0666,mode=0620" {
				t.Errorf("data %q", d)
			}
			if len(warned) != 1 || warned[0] != "mounts[0].options: gid=5 dropped: gid 5 is not mapped in linux.gidMappings" {
				t.Errorf("warnings %q", warned)
			}
		}},
		{name: "devpts gid mapped: kept", mutate: func(s *specs.Spec, o *Options) {
			withUserNS(s, 65536)
			s.Mounts = []specs.Mount{devpts}
		}, check: func(t *testing.T, c *configs.Config) {
			if d := c.Mounts[0].Data; d != "newinstance,ptmxmode=0666,mode=0620,gid=5" {
				t.Errorf("data %q", d)
			}
		}},
		{name: "no user namespace: kept", mutate: func(s *specs.Spec, o *Options) {
			s.Mounts = []specs.Mount{devpts}
		}, check: func(t *testing.T, c *configs.Config) {
			if d := c.Mounts[0].Data; d != "newinstance,ptmxmode=0666,mode=0620,gid=5" {
				t.Errorf("data %q", d)
			}
		}},
		{name: "tmpfs uid unmapped: error", mutate: func(s *specs.Spec, o *Options) {
			withUserNS(s, 1)
			s.Mounts = []specs.Mount{{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=0700", "uid=1000"}}}
		}, wantField: "mounts[0].options", wantErr: "uid=1000: uid 1000 is not mapped in linux.uidMappings"},
		{name: "tmpfs gid mapped: kept", mutate: func(s *specs.Spec, o *Options) {
			withUserNS(s, 2000)
			s.Mounts = []specs.Mount{{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"uid=1000", "gid=1999"}}}
		}, check: func(t *testing.T, c *configs.Config) {
			if d := c.Mounts[0].Data; d != "uid=1000,gid=1999" {
				t.Errorf("data %q", d)
			}
		}},
	})
}
