package rootfs

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ProtectPaths applies linux.readonlyPaths and linux.maskedPaths, after
// pivot_root (they name paths as the container sees them). A path that does
// not exist is skipped, as runtime-spec allows.
func ProtectPaths(cfg *configs.Config) error {
	if len(cfg.ReadonlyPaths)+len(cfg.MaskedPaths) == 0 {
		return nil
	}
	if rootfd < 0 {
		fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return wrap("open", "/", err)
		}
		rootfd = fd
	}
	for _, p := range cfg.ReadonlyPaths {
		if err := readonlyPath(p); err != nil {
			return err
		}
	}
	for _, p := range cfg.MaskedPaths {
		if err := maskPath(p); err != nil {
			return err
		}
	}
	return nil
}

func readonlyPath(p string) error {
	fd, err := openIn(rootFd(), p)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return wrap("open readonly path", p, err)
	}
	t := &target{fd: fd, rootfd: rootFd(), path: p}
	defer t.close()
	if err := unix.Mount(t.procPath(), t.procPath(), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return wrap("bind readonly path", p, err)
	}
	if err := t.reopen(); err != nil {
		return err
	}
	flags := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) | lockedFlags(t.procPath())
	return wrap("remount read-only", p, unix.Mount("", t.procPath(), "", flags, ""))
}

// maskPath hides p: a read-only empty tmpfs over a directory, /dev/null
// over anything else.
func maskPath(p string) error {
	fd, err := openIn(rootFd(), p)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return wrap("open masked path", p, err)
	}
	t := &target{fd: fd, rootfd: rootFd(), path: p}
	defer t.close()
	if isDir(fd) {
		return wrap("mask", p, unix.Mount("tmpfs", t.procPath(), "tmpfs", unix.MS_RDONLY, "size=0k"))
	}
	null, err := nullDevice()
	if err != nil {
		return err
	}
	defer unix.Close(null)
	return wrap("mask", p, unix.Mount("/proc/self/fd/"+strconv.Itoa(null), t.procPath(), "", unix.MS_BIND, ""))
}

// nullDevice opens the container's /dev/null and checks it is the real
// char device 1:3: masking with anything else (a planted file or symlink)
// would expose what it should hide.
func nullDevice() (int, error) {
	fd, err := openIn(rootFd(), "/dev/null")
	if err != nil {
		return -1, wrap("open", "/dev/null", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR ||
		unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		unix.Close(fd)
		return -1, &os.PathError{Op: "mask with", Path: "/dev/null", Err: unix.ENODEV}
	}
	return fd, nil
}

// rootfd is an O_PATH fd of "/" after pivot_root, for in-root resolution;
// ProtectPaths opens it.
var rootfd = -1

func rootFd() int { return rootfd }
