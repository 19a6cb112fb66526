package rootfs

import (
	"fmt"
	"path/filepath"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// What the compilers (compile.go) read from the config: the facts each
// rootfs step is decided on. What only the container's mount namespace can
// say (its mount table) the C stage reads there (nsenter/mountinfo.c).

func inMountNS(cfg *configs.Config) bool {
	_, ok := cfg.NamespacePath("mount")
	return ok
}

func inUserNS(cfg *configs.Config) bool {
	_, ok := cfg.NamespacePath("user")
	return ok
}

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

func hasMount(cfg *configs.Config, dest string) bool {
	for _, m := range cfg.Mounts {
		if filepath.Clean(m.Destination) == dest {
			return true
		}
	}
	return false
}

// isDevMount reports whether m is a /dev filesystem of config.json's own
// (a tmpfs, usually) that berth then fills: devices, the standard links and
// the mount points of /dev/pts, /dev/shm, /dev/mqueue. Mounted read-only
// as asked, it could not be filled, so it is mounted read-write and made
// read-only once the root is in place (as runc does). A bind mount of /dev
// is not filled (needsDev) and takes its flags when bound.
func isDevMount(m *configs.Mount) bool {
	return filepath.Clean(m.Destination) == "/dev" && !m.IsBind() && m.Type != "bind"
}

// isPseudoFS reports whether m mounts a new procfs or sysfs: the
// filesystems whose masks and read-only paths (/proc/kcore, /proc/sys,
// /sys/firmware, ...) are applied by path after pivot_root.
func isPseudoFS(m *configs.Mount) bool {
	return (m.Type == "proc" || m.Type == "sysfs") && !m.IsBind()
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

func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
