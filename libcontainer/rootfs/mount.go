package rootfs

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Prepare makes the rootfs a mount point, mounts every mounts[] entry into
// it and populates /dev. It runs in the new mount namespace, before
// pivot_root, while host paths (bind sources) still resolve. sources opens
// the bind sources the container's root cannot reach (nil: none).
func Prepare(cfg *configs.Config, sources SourceOpener) error {
	if !inMountNS(cfg) {
		return prepareShared(cfg, sources)
	}
	// Default: host mounts propagate in, nothing propagates out. An
	// unbindable / would make the rootfs impossible to bind: it is applied
	// after pivot_root instead (Enter), as is every asked-for propagation.
	// Recursive here whatever was asked: a shared mount left between / and
	// the rootfs would make pivot_root fail.
	prop := cfg.RootPropagation | unix.MS_REC
	if cfg.RootPropagation == 0 || prop&unix.MS_UNBINDABLE != 0 {
		prop = unix.MS_SLAVE | unix.MS_REC
	}
	if err := unix.Mount("", "/", "", prop, ""); err != nil {
		return wrap("set propagation of", "/", err)
	}
	if prop&unix.MS_SHARED != 0 {
		// pivot_root refuses a shared parent of the new root, and the
		// rootfs bind must not join the host's peer group: make the
		// parent private before binding.
		if err := makeParentPrivate(cfg.Rootfs); err != nil {
			return err
		}
	}
	// pivot_root needs the new root to be a mount point.
	if err := unix.Mount(cfg.Rootfs, cfg.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return wrap("bind mount rootfs", cfg.Rootfs, err)
	}
	return mountAll(cfg, sources)
}

// prepareShared is Prepare without a mount namespace of the container's
// own (runtime-spec: it then shares the runtime's): the mounts land in the
// host's namespace, under the rootfs, and delete unmounts them again
// (UnmountUnder). The host's propagation is left as it is.
func prepareShared(cfg *configs.Config, sources SourceOpener) error {
	if err := unix.Mount(cfg.Rootfs, cfg.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return wrap("bind mount rootfs", cfg.Rootfs, err)
	}
	return mountAll(cfg, sources)
}

// mountAll mounts every mounts[] entry and populates /dev.
func mountAll(cfg *configs.Config, sources SourceOpener) error {
	rootfd, err := unix.Open(cfg.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return wrap("open rootfs", cfg.Rootfs, err)
	}
	defer unix.Close(rootfd)
	userns := inUserNS(cfg)
	for i := range cfg.Mounts {
		m := &cfg.Mounts[i]
		if err := mountEntry(rootfd, i, m, cfg, userns, sources); err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
		logs.Debugf("init: mounts[%d]: %s (type %q) on %s, flags %#x, propagation %#x, data %q", i, m.Source, m.Type, m.Destination, m.Flags, m.Propagation, m.Data)
	}
	if needsDev(cfg) {
		if err := setupDev(rootfd, cfg, userns); err != nil {
			return err
		}
	}
	return nil
}

func inMountNS(cfg *configs.Config) bool {
	_, ok := cfg.NamespacePath("mount")
	return ok
}

func inUserNS(cfg *configs.Config) bool {
	_, ok := cfg.NamespacePath("user")
	return ok
}

// mountOne mounts m at its destination inside the rootfs.
func mountOne(rootfd int, m *configs.Mount, cfg *configs.Config, userns bool) error {
	if m.Type == "cgroup" || m.Type == "cgroup2" {
		return mountCgroup(rootfd, m, cfg)
	}
	bind := m.IsBind() || m.Type == "bind"
	file := false
	if bind {
		st, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("bind mount source: %w", err)
		}
		file = !st.IsDir()
	}
	if err := inheritTmpfsMode(rootfd, m); err != nil {
		return fmt.Errorf("mount destination: %w", err)
	}
	var t *target
	var err error
	if isPseudoFS(m) {
		t, err = ordinaryDirIn(rootfd, m)
	} else {
		t, err = ensureIn(rootfd, m.Destination, file)
	}
	if err != nil {
		return fmt.Errorf("mount destination: %w", err)
	}
	defer t.close()
	if m.Tmpcopyup {
		return tmpcopyup(t, m)
	}
	if bind {
		return bindMount(t, m, userns)
	}
	desc := fmt.Sprintf("%s on %s", m.Type, m.Destination)
	flags := m.Flags
	if isDevMount(m) {
		// Filled first, made read-only by finishDev.
		flags &^= unix.MS_RDONLY
	}
	if err := unix.Mount(m.Source, t.procPath(), m.Type, flags, withLabel(m, cfg.MountLabel)); err != nil {
		if src := hostFallback(m.Type); src != "" && err == unix.EPERM && userns {
			return bindHost(t, m, src)
		}
		return wrap("mount", desc, err)
	}
	return finishMount(t, m)
}

// hostFallback names the host's mount that stands in for a new sysfs or
// proc where the kernel refuses one. In a user namespace it allows a new
// sysfs only with a network namespace owned by that user namespace (sysfs
// shows the mounter's network devices), and a new proc only with a pid
// namespace owned by it: a rootless container that shares the host's
// network or pids gets the host's /sys or /proc, which show it nothing it
// does not share (runc does the same for /sys).
func hostFallback(fstype string) string {
	switch fstype {
	case "sysfs":
		return "/sys"
	case "proc":
		return "/proc"
	}
	return ""
}

// bindHost binds src recursively (its submounts are locked to it in a user
// namespace) with the flags of m.
func bindHost(t *target, m *configs.Mount, src string) error {
	b := *m
	b.Source = src
	b.Flags |= unix.MS_BIND | unix.MS_REC
	return bindMount(t, &b, true)
}

// bindMount binds m.Source and then gives the bind exactly the flags its
// options ask for (remountBind): the first call ignores them.
func bindMount(t *target, m *configs.Mount, userns bool) error {
	desc := fmt.Sprintf("%s on %s", m.Source, m.Destination)
	if err := unix.Mount(m.Source, t.procPath(), "", unix.MS_BIND|(m.Flags&unix.MS_REC), ""); err != nil {
		return wrap("bind mount", desc, err)
	}
	return setBindFlags(t, m, userns)
}

// setBindFlags gives the bind at t the flags, propagation and recursive
// attributes of m.
func setBindFlags(t *target, m *configs.Mount, userns bool) error {
	desc := fmt.Sprintf("%s on %s", m.Source, m.Destination)
	// An option that only clears a flag (rw, suid, ...) is a request too;
	// with no option at all the bind keeps the source's flags.
	flags := m.Flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if flags != 0 || m.ClearedFlags != 0 {
		if err := t.reopen(); err != nil {
			return err
		}
		if err := remountBind(t, m, flags, userns); err != nil {
			return wrap("remount", desc, err)
		}
	}
	return finishMount(t, m)
}

// finishMount applies propagation and recursive attributes. The held fd
// was resolved before the mount: reopen the mount's root through it.
func finishMount(t *target, m *configs.Mount) error {
	if len(m.Propagation) == 0 && m.AttrSet == 0 && m.AttrClr == 0 {
		return nil
	}
	if err := t.reopen(); err != nil {
		return err
	}
	path := t.procPath()
	for _, p := range m.Propagation {
		if err := unix.Mount("", path, "", p, ""); err != nil {
			return wrap("set propagation of", m.Destination, err)
		}
	}
	if m.AttrSet != 0 || m.AttrClr != 0 {
		attr := &unix.MountAttr{Attr_set: m.AttrSet, Attr_clr: m.AttrClr}
		if err := unix.MountSetattr(-1, path, unix.AT_RECURSIVE, attr); err != nil {
			return wrap("mount_setattr", m.Destination, err)
		}
	}
	return nil
}

// withLabel adds linux.mountLabel as the SELinux context of the
// filesystems that take one (those the container writes to; proc and sysfs
// carry the kernel's own labels).
func withLabel(m *configs.Mount, label string) string {
	switch m.Type {
	case "tmpfs", "devpts", "mqueue":
	default:
		return m.Data
	}
	if label == "" {
		return m.Data
	}
	ctx := fmt.Sprintf("context=%q", label)
	if m.Data == "" {
		return ctx
	}
	return m.Data + "," + ctx
}

// lockedFlags are the flags of the mount at path that a remount in a user
// namespace must keep.
func lockedFlags(path string) uintptr {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0
	}
	var f uintptr
	for _, p := range [][2]uintptr{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&p[0] != 0 {
			f |= p[1]
		}
	}
	return f
}

// tmpcopyup mounts a tmpfs over the destination holding a copy of what was
// there (the crun/runc "tmpcopyup" extension).
func tmpcopyup(t *target, m *configs.Mount) error {
	tmp, err := os.MkdirTemp("", "berth-tmpcopyup")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := unix.Mount(m.Source, tmp, "tmpfs", m.Flags&^unix.MS_RDONLY, m.Data); err != nil {
		return wrap("mount tmpfs for", m.Destination, err)
	}
	if err := copyTree(t.procPath()+"/", tmp); err != nil {
		_ = unix.Unmount(tmp, unix.MNT_DETACH)
		return wrap("copy up", m.Destination, err)
	}
	if err := unix.Mount(tmp, t.procPath(), "", unix.MS_MOVE, ""); err != nil {
		_ = unix.Unmount(tmp, unix.MNT_DETACH)
		return wrap("move tmpfs onto", m.Destination, err)
	}
	if m.Flags&unix.MS_RDONLY != 0 && !isDevMount(m) {
		if err := t.reopen(); err != nil {
			return err
		}
		if err := unix.Mount("", t.procPath(), "", unix.MS_REMOUNT|m.Flags, m.Data); err != nil {
			return wrap("remount", m.Destination, err)
		}
	}
	return finishMount(t, m)
}

// makeParentPrivate makes the mount that holds dir's parent private.
func makeParentPrivate(dir string) error {
	mp, err := mountPointOf(filepath.Dir(dir))
	if err != nil {
		return err
	}
	return wrap("make private", mp, unix.Mount("", mp, "", unix.MS_PRIVATE, ""))
}
