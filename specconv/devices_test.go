package specconv

import (
	"os"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func TestDefaultDevices(t *testing.T) {
	want := map[string][2]int64{
		"/dev/null": {1, 3}, "/dev/zero": {1, 5}, "/dev/full": {1, 7},
		"/dev/random": {1, 8}, "/dev/urandom": {1, 9}, "/dev/tty": {5, 0},
	}
	got := DefaultDevices()
	if len(got) != len(want) {
		t.Fatalf("DefaultDevices = %+v", got)
	}
	for _, d := range got {
		if mm, ok := want[d.Path]; !ok || d.Major != mm[0] || d.Minor != mm[1] || d.Type != 'c' || d.Mode != 0o666 || d.UID != 0 || d.GID != 0 {
			t.Errorf("device %+v", d)
		}
	}
	got[0].Path = "/changed"
	if DefaultDevices()[0].Path != "/dev/null" {
		t.Error("DefaultDevices shares its slice")
	}
}

func TestDevices(t *testing.T) {
	mode := func(m os.FileMode) *os.FileMode { return &m }
	id := func(v uint32) *uint32 { return &v }
	devs := func(d ...specs.LinuxDevice) func(*specs.Spec, *Options) {
		return func(s *specs.Spec, _ *Options) { s.Linux.Devices = d }
	}
	last := func(c *configs.Config) configs.Device { return c.Devices[len(c.Devices)-1] }
	runCases(t, []convCase{
		{
			name: "fuse", mutate: devs(specs.LinuxDevice{
				Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229,
				FileMode: mode(0o020640), UID: id(1), GID: id(2),
			}),
			check: func(t *testing.T, c *configs.Config) {
				want := configs.Device{Path: "/dev/fuse", Type: 'c', Major: 10, Minor: 229, Mode: 0o640, UID: 1, GID: 2}
				if len(c.Devices) != 7 || !reflect.DeepEqual(last(c), want) {
					t.Errorf("Devices = %+v", c.Devices)
				}
			},
		},
		{
			name: "defaults of mode and owner", mutate: devs(specs.LinuxDevice{Path: "/dev/sda", Type: "b", Major: 8}),
			check: func(t *testing.T, c *configs.Config) {
				want := configs.Device{Path: "/dev/sda", Type: 'b', Major: 8, Mode: 0o666}
				if !reflect.DeepEqual(last(c), want) {
					t.Errorf("got %+v", last(c))
				}
			},
		},
		{
			name: "u is c", mutate: devs(specs.LinuxDevice{Path: "/dev/x", Type: "u", Major: 1, Minor: 2}),
			check: func(t *testing.T, c *configs.Config) {
				if last(c).Type != 'c' {
					t.Errorf("got %+v", last(c))
				}
			},
		},
		{
			name: "fifo ignores numbers", mutate: devs(specs.LinuxDevice{Path: "/run/fifo", Type: "p", Major: -1, Minor: 5}),
			check: func(t *testing.T, c *configs.Config) {
				if d := last(c); d.Type != 'p' || d.Major != 0 || d.Minor != 0 {
					t.Errorf("got %+v", d)
				}
			},
		},
		{
			name: "overrides default in place", mutate: devs(specs.LinuxDevice{
				Path: "/dev/null/", Type: "c", Major: 1, Minor: 3,
				FileMode: mode(0o600),
			}),
			check: func(t *testing.T, c *configs.Config) {
				if len(c.Devices) != 6 || c.Devices[0].Path != "/dev/null" || c.Devices[0].Mode != 0o600 {
					t.Errorf("Devices = %+v", c.Devices)
				}
			},
		},
		{
			name: "relative path", mutate: devs(specs.LinuxDevice{Path: "dev/x", Type: "c", Major: 1}),
			wantField: "linux.devices[0].path", wantErr: "not an absolute path",
		},
		{
			name: "missing path", mutate: devs(specs.LinuxDevice{Type: "c"}),
			wantField: "linux.devices[0].path", wantErr: "missing",
		},
		{
			name: "missing type", mutate: devs(specs.LinuxDevice{Path: "/dev/x"}),
			wantField: "linux.devices[0].type", wantErr: "missing",
		},
		{
			name: "bad type", mutate: devs(specs.LinuxDevice{Path: "/dev/x", Type: "s"}),
			wantField: "linux.devices[0].type", wantErr: `unknown device type "s"`,
		},
		{
			name: "negative major", mutate: devs(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: -1}),
			wantField: "linux.devices[0].major", wantErr: "out of range",
		},
		{
			name: "huge minor", mutate: devs(specs.LinuxDevice{Path: "/dev/x", Type: "b", Minor: 1 << 32}),
			wantField: "linux.devices[0].minor", wantErr: "out of range",
		},
		{
			name: "duplicate", mutate: devs(
				specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1},
				specs.LinuxDevice{Path: "/dev/y", Type: "c", Major: 1},
				specs.LinuxDevice{Path: "/dev//x", Type: "c", Major: 2}),
			wantField: "linux.devices[2].path", wantErr: `duplicate device "/dev/x" (also linux.devices[0])`,
		},
	})
}
