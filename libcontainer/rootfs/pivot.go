package rootfs

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Enter makes the rootfs the process's root: pivot_root, or with --no-pivot
// a move of the rootfs onto / and chroot (for roots on a ramdisk, where
// pivot_root is not allowed). Then root.readonly.
func Enter(cfg *configs.Config) error {
	if err := unix.Chdir(cfg.Rootfs); err != nil {
		return wrap("chdir", cfg.Rootfs, err)
	}
	if !inMountNS(cfg) {
		// No namespace of its own: pivot_root would change the host's
		// root. chroot changes only ours.
		if err := unix.Chroot("."); err != nil {
			return wrap("chroot", cfg.Rootfs, err)
		}
	} else if cfg.NoPivot {
		root, err := unix.Getwd()
		if err != nil {
			return wrap("getcwd in", cfg.Rootfs, err)
		}
		if err := hideHostPseudoFS(root); err != nil {
			return err
		}
		if err := unix.Mount(cfg.Rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
			return wrap("move rootfs onto", "/", err)
		}
		if err := unix.Chroot("."); err != nil {
			return wrap("chroot", cfg.Rootfs, err)
		}
	} else if err := pivotRoot(); err != nil {
		return err
	}
	if err := unix.Chdir("/"); err != nil {
		return wrap("chdir", "/", err)
	}
	// linux.rootfsPropagation is about the container's own /, which only
	// exists now.
	if cfg.RootPropagation != 0 && inMountNS(cfg) {
		if err := unix.Mount("", "/", "", cfg.RootPropagation, ""); err != nil {
			return wrap("set propagation of", "/", err)
		}
	}
	// runc creates a missing process.cwd (as root, before the root turns
	// read-only); bundles rely on it.
	if err := os.MkdirAll(cfg.Process.Cwd, 0o755); err != nil {
		return wrap("create process.cwd", cfg.Process.Cwd, err)
	}
	// Only now, after the hooks and the cwd: /dev was filled read-write.
	if err := finishDev(cfg); err != nil {
		return err
	}
	if cfg.Readonly {
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
		if inUserNS(cfg) {
			flags |= lockedFlags("/")
		}
		if err := unix.Mount("", "/", "", flags, ""); err != nil {
			return wrap("remount read-only", "/", err)
		}
	}
	return nil
}

// pivotRoot uses pivot_root(".", "."): the old root ends up stacked on the
// new one, and is detached without needing a directory in the rootfs to
// park it in.
func pivotRoot() error {
	if err := unix.PivotRoot(".", "."); err != nil {
		return wrap("pivot_root", ".", err)
	}
	// The old root must not propagate the unmount back to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return wrap("make old root rslave", ".", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return wrap("unmount old root", ".", err)
	}
	return nil
}
