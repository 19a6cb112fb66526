package cgfile

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A path that climbs out of /sys/fs/cgroup is refused, however it is
// spelled; a file of the root cgroup opens.
func TestOpenFileStaysInCgroupMounts(t *testing.T) {
	if _, err := os.Stat(cgroupRoot); err != nil {
		t.Skip("no /sys/fs/cgroup")
	}
	for _, c := range []struct{ dir, name string }{
		{cgroupRoot + "/..", "kernel/uevent_seqnum"},
		{cgroupRoot, "../kernel/uevent_seqnum"},
	} {
		f, err := OpenFile(c.dir, c.name, os.O_RDONLY)
		if err == nil {
			_ = f.Close()
			t.Errorf("OpenFile(%q, %q) opened a file outside %s", c.dir, c.name, cgroupRoot)
			continue
		}
		if !errors.Is(err, unix.EXDEV) && !errors.Is(err, unix.ENOSYS) {
			t.Errorf("OpenFile(%q, %q) = %v, want EXDEV", c.dir, c.name, err)
		}
	}
	ents, _ := os.ReadDir(cgroupRoot)
	for _, e := range ents {
		if Exists(cgroupRoot+"/"+e.Name(), "cgroup.procs") {
			if _, err := ReadString(cgroupRoot+"/"+e.Name(), "cgroup.procs"); err != nil {
				t.Errorf("read %s/cgroup.procs: %v", e.Name(), err)
			}
			return
		}
	}
	if Exists(cgroupRoot, "cgroup.procs") {
		if _, err := ReadString(cgroupRoot, "cgroup.procs"); err != nil {
			t.Errorf("read cgroup.procs: %v", err)
		}
	}
}
