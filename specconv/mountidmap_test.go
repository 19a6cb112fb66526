package specconv

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func TestMountIDMap(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	want := []configs.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	userns := func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 1000}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 1000}}
	}
	idmapOf := func(t *testing.T, c *configs.Config) *configs.MountIDMap {
		t.Helper()
		if len(c.Mounts) != 1 || c.Mounts[0].IDMap == nil {
			t.Fatalf("Mounts = %+v", c.Mounts)
		}
		return c.Mounts[0].IDMap
	}
	runCases(t, []convCase{
		{name: "mappings alone mean idmap", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind"}, UIDMappings: maps, GIDMappings: maps})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := idmapOf(t, c); m.Recursive || !reflect.DeepEqual(m.UIDMappings, want) || !reflect.DeepEqual(m.GIDMappings, want) {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "ridmap with mappings", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Type: "bind", Options: []string{"rbind", "ridmap"}, UIDMappings: maps, GIDMappings: maps})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := idmapOf(t, c); !m.Recursive {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "idmap takes the container's mappings", mutate: func(s *specs.Spec, _ *Options) {
			userns(s)
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"bind", "idmap"}})
		}, check: func(t *testing.T, c *configs.Config) {
			m := idmapOf(t, c)
			if m.Recursive || m.UIDMappings[0].HostID != 200000 || m.GIDMappings[0].HostID != 300000 || m.UsernsPath != "" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "idmap takes a joined user namespace", mutate: func(s *specs.Spec, _ *Options) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user", Path: "/proc/1/ns/user"})
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind", "ridmap"}})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := idmapOf(t, c); m.UsernsPath != "/proc/1/ns/user" || len(m.UIDMappings) != 0 || !m.Recursive {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "mappings of their own in a user namespace", mutate: func(s *specs.Spec, _ *Options) {
			userns(s)
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind"}, UIDMappings: maps, GIDMappings: maps})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := idmapOf(t, c); !reflect.DeepEqual(m.UIDMappings, want) {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "idmap without a user namespace", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind", "idmap"}})
		}, wantField: "mounts[0].options", wantErr: "no user namespace"},
		{name: "not a bind", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "tmpfs", Type: "tmpfs", UIDMappings: maps, GIDMappings: maps})
		}, wantField: "mounts[0].uidMappings", wantErr: "only supported for bind mounts"},
		{name: "idmap option not a bind", mutate: func(s *specs.Spec, _ *Options) {
			userns(s)
			mount(s, specs.Mount{Destination: "/x", Source: "tmpfs", Type: "tmpfs", Options: []string{"idmap"}})
		}, wantField: "mounts[0].options", wantErr: "only supported for bind mounts"},
		{name: "uid mappings alone", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind"}, UIDMappings: maps})
		}, wantField: "mounts[0].gidMappings", wantErr: "needs both"},
		{name: "gid mappings alone", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbind"}, GIDMappings: maps})
		}, wantField: "mounts[0].uidMappings", wantErr: "needs both"},
		{name: "zero size", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{
				Destination: "/x", Source: "/y", Options: []string{"rbind"},
				UIDMappings: maps, GIDMappings: []specs.LinuxIDMapping{{HostID: 1}},
			})
		}, wantField: "mounts[0].gidMappings[0].size", wantErr: "greater than zero"},
		{name: "host range wraps", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{
				Destination: "/x", Source: "/y", Options: []string{"rbind"},
				UIDMappings: []specs.LinuxIDMapping{{HostID: 4294967295, Size: 2}}, GIDMappings: maps,
			})
		}, wantField: "mounts[0].uidMappings[0]", wantErr: "32-bit id space"},
		{name: "ranges overlap", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{
				Destination: "/x", Source: "/y", Options: []string{"rbind"},
				UIDMappings: []specs.LinuxIDMapping{{HostID: 1000, Size: 10}, {ContainerID: 100, HostID: 1005, Size: 10}}, GIDMappings: maps,
			})
		}, wantField: "mounts[0].uidMappings[1]", wantErr: "host range overlaps"},
	})
}
