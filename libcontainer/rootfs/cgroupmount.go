package rootfs

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// mountCgroup mounts the cgroup hierarchies at m.Destination. On a pure v2
// host that is one cgroup2 mount. On v1 and hybrid hosts (like systemd's
// "hybrid" layout) it is a tmpfs holding one mount per hierarchy, as runc
// does. With a cgroup namespace each is a fresh mount whose root is the
// container's own cgroup; without one, a bind of the container's cgroup
// directory, so the container never sees the host's tree.
func mountCgroup(rootfd int, m *configs.Mount, cfg *configs.Config) error {
	_, cgns := cfg.NamespacePath("cgroup")
	hs, err := cgroups.Hierarchies()
	if err != nil {
		return err
	}
	own, err := cgroups.OwnCgroups("self")
	if err != nil {
		return err
	}
	t, err := ensureIn(rootfd, m.Destination, false)
	if err != nil {
		return fmt.Errorf("mount destination: %w", err)
	}
	defer t.close()
	ro := m.Flags&unix.MS_RDONLY != 0
	flags := m.Flags &^ unix.MS_RDONLY
	if len(hs) == 1 && hs[0].Fstype == "cgroup2" && hs[0].MountPoint == "/sys/fs/cgroup" {
		if err := mountHierarchy(t, hs[0], own, cgns, m.Flags); err != nil {
			return err
		}
		return finishMount(t, m)
	}
	if err := unix.Mount("tmpfs", t.procPath(), "tmpfs", flags, "mode=755"); err != nil {
		return wrap("mount tmpfs on", m.Destination, err)
	}
	if err := t.reopen(); err != nil {
		return err
	}
	for _, h := range hs {
		name := strings.TrimPrefix(h.MountPoint, "/sys/fs/cgroup/")
		if name == h.MountPoint || strings.Contains(name, "/") {
			continue
		}
		sub, err := ensureIn(rootfd, filepath.Join(m.Destination, name), false)
		if err != nil {
			return err
		}
		err = mountHierarchy(sub, h, own, cgns, m.Flags)
		sub.close()
		if err != nil {
			return err
		}
	}
	if ro {
		if err := unix.Mount("", t.procPath(), "", unix.MS_REMOUNT|m.Flags, "mode=755"); err != nil {
			return wrap("remount read-only", m.Destination, err)
		}
	}
	return finishMount(t, m)
}

func mountHierarchy(t *target, h cgroups.Hierarchy, own map[string]string, cgns bool, flags uintptr) error {
	if cgns {
		if err := unix.Mount("cgroup", t.procPath(), h.Fstype, flags, h.Key); err != nil {
			return wrap("mount "+h.Fstype+" on", t.path, err)
		}
		return nil
	}
	rel, err := filepath.Rel(h.Root, own[h.Key])
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = "."
	}
	src := filepath.Join(h.MountPoint, rel)
	if err := unix.Mount(src, t.procPath(), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return wrap("bind mount "+src+" on", t.path, err)
	}
	if err := t.reopen(); err != nil {
		return err
	}
	return wrap("remount", t.path, unix.Mount("", t.procPath(), "", unix.MS_BIND|unix.MS_REMOUNT|flags, ""))
}
