package specconv

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// TestMountOptions covers every option of the parser, alone and in the
// combinations whose order matters.
func TestMountOptions(t *testing.T) {
	const atime = unix.MOUNT_ATTR__ATIME
	cases := []struct {
		opts []string
		want configs.Mount
	}{
		{[]string{"defaults"}, configs.Mount{}},
		{[]string{"ro"}, configs.Mount{Flags: unix.MS_RDONLY}},
		{[]string{"rw"}, configs.Mount{ClearedFlags: unix.MS_RDONLY}},
		{[]string{"suid"}, configs.Mount{ClearedFlags: unix.MS_NOSUID}},
		{[]string{"nosuid"}, configs.Mount{Flags: unix.MS_NOSUID}},
		{[]string{"dev"}, configs.Mount{ClearedFlags: unix.MS_NODEV}},
		{[]string{"nodev"}, configs.Mount{Flags: unix.MS_NODEV}},
		{[]string{"exec"}, configs.Mount{ClearedFlags: unix.MS_NOEXEC}},
		{[]string{"noexec"}, configs.Mount{Flags: unix.MS_NOEXEC}},
		{[]string{"sync"}, configs.Mount{Flags: unix.MS_SYNCHRONOUS}},
		{[]string{"async"}, configs.Mount{ClearedFlags: unix.MS_SYNCHRONOUS}},
		{[]string{"dirsync"}, configs.Mount{Flags: unix.MS_DIRSYNC}},
		{[]string{"remount"}, configs.Mount{Flags: unix.MS_REMOUNT}},
		{[]string{"mand"}, configs.Mount{Flags: unix.MS_MANDLOCK}},
		{[]string{"nomand"}, configs.Mount{ClearedFlags: unix.MS_MANDLOCK}},
		{[]string{"atime"}, configs.Mount{ClearedFlags: unix.MS_NOATIME}},
		{[]string{"noatime"}, configs.Mount{Flags: unix.MS_NOATIME}},
		{[]string{"diratime"}, configs.Mount{ClearedFlags: unix.MS_NODIRATIME}},
		{[]string{"nodiratime"}, configs.Mount{Flags: unix.MS_NODIRATIME}},
		{[]string{"relatime"}, configs.Mount{Flags: unix.MS_RELATIME}},
		{[]string{"norelatime"}, configs.Mount{ClearedFlags: unix.MS_RELATIME}},
		{[]string{"strictatime"}, configs.Mount{Flags: unix.MS_STRICTATIME}},
		{[]string{"nostrictatime"}, configs.Mount{ClearedFlags: unix.MS_STRICTATIME}},
		{[]string{"bind"}, configs.Mount{Flags: unix.MS_BIND}},
		{[]string{"rbind"}, configs.Mount{Flags: unix.MS_BIND | unix.MS_REC}},
		{[]string{"nosymfollow"}, configs.Mount{Flags: unix.MS_NOSYMFOLLOW}},
		{[]string{"symfollow"}, configs.Mount{ClearedFlags: unix.MS_NOSYMFOLLOW}},
		{[]string{"lazytime"}, configs.Mount{Flags: unix.MS_LAZYTIME}},
		{[]string{"nolazytime"}, configs.Mount{ClearedFlags: unix.MS_LAZYTIME}},
		{[]string{"silent"}, configs.Mount{Flags: unix.MS_SILENT}},
		{[]string{"loud"}, configs.Mount{ClearedFlags: unix.MS_SILENT}},
		{[]string{"iversion"}, configs.Mount{Flags: unix.MS_I_VERSION}},
		{[]string{"noiversion"}, configs.Mount{ClearedFlags: unix.MS_I_VERSION}},
		{[]string{"tmpcopyup"}, configs.Mount{Tmpcopyup: true}},
		// Later options override earlier ones.
		{[]string{"ro", "rw"}, configs.Mount{ClearedFlags: unix.MS_RDONLY}},
		{[]string{"rw", "ro"}, configs.Mount{Flags: unix.MS_RDONLY}},
		{[]string{"nosuid", "nodev", "noexec", "ro"}, configs.Mount{
			Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RDONLY,
		}},
		// Propagation: a list, in order.
		{[]string{"private"}, configs.Mount{Propagation: []uintptr{unix.MS_PRIVATE}}},
		{[]string{"rprivate"}, configs.Mount{Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC}}},
		{[]string{"shared"}, configs.Mount{Propagation: []uintptr{unix.MS_SHARED}}},
		{[]string{"rshared"}, configs.Mount{Propagation: []uintptr{unix.MS_SHARED | unix.MS_REC}}},
		{[]string{"slave"}, configs.Mount{Propagation: []uintptr{unix.MS_SLAVE}}},
		{[]string{"rslave"}, configs.Mount{Propagation: []uintptr{unix.MS_SLAVE | unix.MS_REC}}},
		{[]string{"unbindable"}, configs.Mount{Propagation: []uintptr{unix.MS_UNBINDABLE}}},
		{[]string{"runbindable"}, configs.Mount{Propagation: []uintptr{unix.MS_UNBINDABLE | unix.MS_REC}}},
		{[]string{"rshared", "rslave"}, configs.Mount{Propagation: []uintptr{
			unix.MS_SHARED | unix.MS_REC, unix.MS_SLAVE | unix.MS_REC,
		}}},
		// Recursive attributes.
		{[]string{"rro"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_RDONLY}},
		{[]string{"rrw"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_RDONLY}},
		{[]string{"rnosuid"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NOSUID}},
		{[]string{"rsuid"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_NOSUID}},
		{[]string{"rnodev"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NODEV}},
		{[]string{"rdev"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_NODEV}},
		{[]string{"rnoexec"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NOEXEC}},
		{[]string{"rexec"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_NOEXEC}},
		{[]string{"rnodiratime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NODIRATIME}},
		{[]string{"rdiratime"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_NODIRATIME}},
		{[]string{"rnosymfollow"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{[]string{"rsymfollow"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{[]string{"rrelatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_RELATIME, AttrClr: atime}},
		{[]string{"rnorelatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_STRICTATIME, AttrClr: atime}},
		{[]string{"rnoatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NOATIME, AttrClr: atime}},
		{[]string{"ratime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_RELATIME, AttrClr: atime}},
		{[]string{"rstrictatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_STRICTATIME, AttrClr: atime}},
		{[]string{"rnostrictatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_RELATIME, AttrClr: atime}},
		{[]string{"rro", "rrw"}, configs.Mount{AttrClr: unix.MOUNT_ATTR_RDONLY}},
		{[]string{"rrw", "rro"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_RDONLY}},
		{[]string{"rnoatime", "rstrictatime"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_STRICTATIME, AttrClr: atime}},
		{[]string{"rnoatime", "ratime", "rnosuid"}, configs.Mount{AttrSet: unix.MOUNT_ATTR_NOSUID, AttrClr: atime}},
		{[]string{"rro", "rnoexec", "rnodev", "rnosuid"}, configs.Mount{
			AttrSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOSUID,
		}},
		// Anything else is filesystem data, in order.
		{[]string{"nosuid", "size=65536k", "mode=755"}, configs.Mount{Flags: unix.MS_NOSUID, Data: "size=65536k,mode=755"}},
		{[]string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, configs.Mount{
			Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
		}},
		{[]string{"lowerdir=/a:/b", "userxattr"}, configs.Mount{Data: "lowerdir=/a:/b,userxattr"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.opts, ","), func(t *testing.T) {
			got, err := parseMountOptions("mounts[0]", tc.opts, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

// TestEveryOptionKnown makes sure no option table entry is shadowed, and
// that `features` reports only options Convert takes: each name
// KnownMountOptions lists must parse without ending up in Data.
func TestEveryOptionKnown(t *testing.T) {
	names := KnownMountOptions()
	if len(names) < len(mountFlags)+len(propagationFlags)+len(recursiveAttrs) {
		t.Fatalf("KnownMountOptions lists %d names, the tables hold more", len(names))
	}
	for _, n := range names {
		m, err := parseMountOptions("m", []string{n}, true, nil)
		if err != nil || m.Data != "" {
			t.Errorf("option %q: data %q err %v", n, m.Data, err)
		}
	}
}

func mount(s *specs.Spec, m specs.Mount) {
	s.Mounts = append(s.Mounts, m)
}

func TestMounts(t *testing.T) {
	first := func(t *testing.T, c *configs.Config) configs.Mount {
		t.Helper()
		if len(c.Mounts) != 1 {
			t.Fatalf("Mounts = %+v", c.Mounts)
		}
		return c.Mounts[0]
	}
	runCases(t, []convCase{
		{name: "proc", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
		}, check: func(t *testing.T, c *configs.Config) {
			want := configs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}
			if m := first(t, c); !reflect.DeepEqual(m, want) {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "tmpfs data", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{
				Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			})
		}, check: func(t *testing.T, c *configs.Config) {
			m := first(t, c)
			if m.Flags != unix.MS_NOSUID|unix.MS_STRICTATIME || m.Data != "mode=755,size=65536k" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "cgroup2 kept", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{
				Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"},
			})
		}, check: func(t *testing.T, c *configs.Config) {
			m := first(t, c)
			if m.Type != "cgroup2" || m.Flags != unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV|unix.MS_RELATIME|unix.MS_RDONLY {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "bind by option relative source", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/data", Source: "./data/", Options: []string{"rbind", "ro", "rprivate"}})
		}, check: func(t *testing.T, c *configs.Config) {
			want := configs.Mount{
				Destination: "/data", Source: "/bundles/c1/data", Type: "bind",
				Flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC},
			}
			if m := first(t, c); !reflect.DeepEqual(m, want) || !m.IsBind() {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "bind by type", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/srv/hosts", Options: []string{"ro"}})
		}, check: func(t *testing.T, c *configs.Config) {
			m := first(t, c)
			if m.Flags != unix.MS_BIND|unix.MS_RDONLY || m.Source != "/srv/hosts" || m.Type != "bind" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "bind type none kept", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Type: "none", Source: "/y", Options: []string{"bind"}})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := first(t, c); m.Type != "none" || m.Flags != unix.MS_BIND {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "non-bind source kept relative", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts"})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := first(t, c); m.Source != "devpts" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "destination cleaned", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/a//b/../c/", Type: "tmpfs", Source: "tmpfs"})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := first(t, c); m.Destination != "/a/c" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "remount without type", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Options: []string{"remount", "ro"}})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := first(t, c); m.Flags != unix.MS_REMOUNT|unix.MS_RDONLY {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "destination missing", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Type: "tmpfs", Source: "tmpfs"})
		}, wantField: "mounts[0].destination", wantErr: "missing"},
		{name: "destination nul", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/a\x00", Type: "tmpfs"})
		}, wantField: "mounts[0].destination", wantErr: "NUL"},
		{name: "source nul", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/a", Type: "tmpfs", Source: "\x00"})
		}, wantField: "mounts[0].source", wantErr: "NUL"},
		{name: "type nul", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/a", Type: "tmp\x00fs"})
		}, wantField: "mounts[0].type", wantErr: "NUL"},
		{name: "type missing", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
			mount(s, specs.Mount{Destination: "/x", Source: "/y", Options: []string{"rbindd"}})
		}, wantField: "mounts[1].type", wantErr: "missing"},
		{name: "bind without source", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Type: "bind"})
		}, wantField: "mounts[0].source", wantErr: "needs a source"},
		{name: "bind unknown option", mutate: func(s *specs.Spec, _ *Options) {
			for range 3 {
				mount(s, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
			}
			mount(s, specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"ro", "rbindd"}})
		}, wantField: "mounts[3].options[1]", wantErr: `unknown option "rbindd"`},
		{name: "empty option", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"ro", ""}})
		}, wantField: "mounts[0].options[1]", wantErr: "empty option"},
		{name: "nul option", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"a\x00"}})
		}, wantField: "mounts[0].options[0]", wantErr: "NUL"},
		{name: "tmpcopyup tmpfs", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/etc", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup"}})
		}, check: func(t *testing.T, c *configs.Config) {
			if m := first(t, c); !m.Tmpcopyup || m.Data != "" {
				t.Errorf("got %+v", m)
			}
		}},
		{name: "tmpcopyup not tmpfs", mutate: func(s *specs.Spec, _ *Options) {
			mount(s, specs.Mount{Destination: "/etc", Type: "proc", Options: []string{"tmpcopyup"}})
		}, wantField: "mounts[0].options", wantErr: "tmpcopyup needs a tmpfs"},
	})
}

func TestMountRelativeDestination(t *testing.T) {
	s, o := baseSpec(), baseOptions()
	var warnings []string
	o.Warn = func(msg string) { warnings = append(warnings, msg) }
	mount(s, specs.Mount{Destination: "var/run/x", Type: "tmpfs", Source: "tmpfs"})
	c, err := Convert(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mounts[0].Destination != "/var/run/x" {
		t.Errorf("Destination = %q", c.Mounts[0].Destination)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "mounts[0].destination: ") {
		t.Errorf("warnings = %q", warnings)
	}
	// Without a Warn hook the warning is dropped, the mount still works.
	o.Warn = nil
	if _, err := Convert(s, o); err != nil {
		t.Fatal(err)
	}
}

func TestRootPropagation(t *testing.T) {
	for p, want := range map[string]uintptr{
		"":            0,
		"shared":      unix.MS_SHARED,
		"slave":       unix.MS_SLAVE,
		"private":     unix.MS_PRIVATE,
		"unbindable":  unix.MS_UNBINDABLE,
		"rshared":     unix.MS_SHARED | unix.MS_REC,
		"rslave":      unix.MS_SLAVE | unix.MS_REC,
		"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
		"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	} {
		s := baseSpec()
		s.Linux.RootfsPropagation = p
		c, err := Convert(s, baseOptions())
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if c.RootPropagation != want {
			t.Errorf("%q: RootPropagation = %#x, want %#x", p, c.RootPropagation, want)
		}
	}
	runCases(t, []convCase{{name: "unknown", mutate: func(s *specs.Spec, _ *Options) {
		s.Linux.RootfsPropagation = "rsharedd"
	}, wantField: "linux.rootfsPropagation", wantErr: `unknown propagation "rsharedd"`}})
}

func TestBindDataOptionWarns(t *testing.T) {
	var warned []string
	m, err := parseMountOptions("mounts[0]", []string{"rbind", "mode=755"}, true, func(w string) { warned = append(warned, w) })
	if err != nil || m.Data != "" {
		t.Fatalf("data %q err %v", m.Data, err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "mounts[0].options[1]") {
		t.Fatalf("warnings %q", warned)
	}
}

// TestMountDestinationUnderRootfs: a destination written as the host path
// of something in the rootfs is the container path (as runc reads it).
func TestMountDestinationUnderRootfs(t *testing.T) {
	cases := []struct{ rootfs, dest, want string }{
		{"/b/rootfs", "/b/rootfs/etc/x", "/etc/x"},
		{"/b/rootfs", "/b/rootfs", "/"},
		{"/b/rootfs", "/b/rootfsx/etc", "/b/rootfsx/etc"},
		{"/b/rootfs", "/b/etc", "/b/etc"},
		{"/b/rootfs", "/etc/x", "/etc/x"},
		{"/", "/etc/x", "/etc/x"},
	}
	for _, c := range cases {
		if got := stripRootfs(c.rootfs, c.dest); got != c.want {
			t.Errorf("stripRootfs(%q, %q) = %q, want %q", c.rootfs, c.dest, got, c.want)
		}
	}
	s, o := baseSpec(), baseOptions()
	s.Root.Path = "rootfs"
	mount(s, specs.Mount{Destination: o.BundleDir + "/rootfs/../rootfs/mnt", Type: "tmpfs", Source: "tmpfs"})
	c, err := Convert(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Mounts[len(c.Mounts)-1].Destination; d != "/mnt" {
		t.Errorf("Destination = %q, want /mnt", d)
	}
}
