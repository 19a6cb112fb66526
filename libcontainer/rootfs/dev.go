package rootfs

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// needsDev: berth populates /dev unless config.json bind-mounts a /dev of
// its own (then the devices are whatever that holds).
func needsDev(cfg *configs.Config) bool {
	for _, m := range cfg.Mounts {
		if filepath.Clean(m.Destination) == "/dev" && (m.IsBind() || m.Type == "bind") {
			return false
		}
	}
	return true
}

// setupDev creates linux.devices (the spec's defaults merged in by
// specconv) and the standard links. In a user namespace mknod is not
// allowed, so the host's node is bind-mounted instead.
func setupDev(rootfd int, cfg *configs.Config, userns bool) error {
	for i := range cfg.Devices {
		d := &cfg.Devices[i]
		if err := createDevice(rootfd, d, userns); err != nil {
			return wrap("create device", d.Path, err)
		}
	}
	devfd, err := openIn(rootfd, "dev")
	if err != nil {
		return wrap("open", "/dev", err)
	}
	defer unix.Close(devfd)
	links := [][2]string{
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	if hasMount(cfg, "/dev/pts") {
		links = append(links, [2]string{"pts/ptmx", "ptmx"})
	}
	for _, l := range links {
		// A device node of the same name (ptmx) gives way to the link.
		if l[1] == "ptmx" {
			if err := unix.Unlinkat(devfd, "ptmx", 0); err != nil && err != unix.ENOENT {
				return wrap("remove", "/dev/ptmx", err)
			}
		}
		if err := unix.Symlinkat(l[0], devfd, l[1]); err != nil && err != unix.EEXIST {
			return wrap("symlink", "/dev/"+l[1], err)
		}
	}
	return nil
}

func hasMount(cfg *configs.Config, dest string) bool {
	for _, m := range cfg.Mounts {
		if filepath.Clean(m.Destination) == dest {
			return true
		}
	}
	return false
}

func createDevice(rootfd int, d *configs.Device, userns bool) error {
	dir, name := filepath.Split(filepath.Clean(d.Path))
	parent, err := ensureIn(rootfd, dir, false)
	if err != nil {
		return err
	}
	defer parent.close()
	// A fifo needs no privilege: made in a user namespace too.
	if userns && d.Type != 'p' {
		return bindDevice(rootfd, d)
	}
	var typ uint32
	switch d.Type {
	case 'c', 'u':
		typ = unix.S_IFCHR
	case 'b':
		typ = unix.S_IFBLK
	case 'p':
		typ = unix.S_IFIFO
	}
	// Whatever is there gives way to the device; only "nothing there" is fine.
	if err := unix.Unlinkat(parent.fd, name, 0); err != nil && err != unix.ENOENT {
		return wrap("remove", d.Path, err)
	}
	dev := unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	if err := unix.Mknodat(parent.fd, name, typ|(d.Mode&0o7777), int(dev)); err != nil {
		if err == unix.EPERM {
			// No CAP_MKNOD (e.g. in a user namespace we were not told of).
			return bindDevice(rootfd, d)
		}
		return err
	}
	// mknod honours the umask; the mode must be exactly as configured.
	if err := unix.Fchmodat(parent.fd, name, d.Mode&0o7777, 0); err != nil {
		return err
	}
	return unix.Fchownat(parent.fd, name, int(d.UID), int(d.GID), unix.AT_SYMLINK_NOFOLLOW)
}

// bindDevice binds the host's node at the same path, which must be the
// device asked for: without CAP_MKNOD there is no other way to give the
// container a device node.
func bindDevice(rootfd int, d *configs.Device) error {
	var st unix.Stat_t
	if err := unix.Stat(d.Path, &st); err != nil {
		return fmt.Errorf("no mknod without root: a device is the host's node at the same path, bind-mounted: %w", err)
	}
	want := uint32(unix.S_IFCHR)
	if d.Type == 'b' {
		want = unix.S_IFBLK
	}
	if st.Mode&unix.S_IFMT != want || unix.Major(st.Rdev) != uint32(d.Major) || unix.Minor(st.Rdev) != uint32(d.Minor) {
		return fmt.Errorf("no mknod without root: a device is the host's node at the same path, bind-mounted, and the host's %s is not %c %d:%d", d.Path, d.Type, d.Major, d.Minor)
	}
	t, err := ensureIn(rootfd, d.Path, true)
	if err != nil {
		return err
	}
	defer t.close()
	return unix.Mount(d.Path, t.procPath(), "", unix.MS_BIND, "")
}

// mountPointOf returns the mount point under which path lies, from
// /proc/self/mountinfo (the longest matching mount point wins).
func mountPointOf(path string) (string, error) {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	best := "/"
	for _, in := range infos {
		mp := in.MountPoint
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best, nil
}

// isDevMount reports whether m is a /dev filesystem of config.json's own
// (a tmpfs, usually) that berth then fills: devices, the standard links and
// the mount points of /dev/pts, /dev/shm, /dev/mqueue. Mounted read-only
// as asked, it could not be filled, so it is mounted read-write and made
// read-only by finishDev once the root is in place (as runc does). A bind
// mount of /dev is not filled (needsDev) and takes its flags when bound.
func isDevMount(m *configs.Mount) bool {
	return filepath.Clean(m.Destination) == "/dev" && !m.IsBind() && m.Type != "bind"
}

// finishDev makes a /dev that config.json asks to be read-only so, now
// that it is filled. It runs after pivot_root (or chroot), where /dev
// resolves in the container's root; the last mount of /dev is the one on
// top.
func finishDev(cfg *configs.Config) error {
	var dev *configs.Mount
	for i := range cfg.Mounts {
		if filepath.Clean(cfg.Mounts[i].Destination) == "/dev" {
			dev = &cfg.Mounts[i]
		}
	}
	if dev == nil || !isDevMount(dev) || dev.Flags&unix.MS_RDONLY == 0 {
		return nil
	}
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return wrap("open", "/", err)
	}
	defer unix.Close(root)
	fd, err := openIn(root, "dev")
	if err != nil {
		return wrap("open", "/dev", err)
	}
	t := &target{fd: fd, rootfd: root, path: "/dev"}
	defer t.close()
	// A bind remount changes only this mount's flags; the flags it has now
	// (nosuid, noexec, its atime mode, those locked in a user namespace)
	// are kept.
	flags := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) | lockedFlags(t.procPath())
	return wrap("remount read-only", "/dev", unix.Mount("", t.procPath(), "", flags, ""))
}
