package rootfs

import (
	"errors"
	"os"
	"path/filepath"
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
	return maskPaths(cfg.MaskedPaths)
}

// maskPaths masks each path once (a path listed twice, or spelt two ways
// as /proc/acpi and /proc/acpi/, would otherwise get a second mask on top
// of the first), and hides every directory with one read-only tmpfs: the
// first directory's is bound over the others, as runc does, rather than a
// superblock per directory.
func maskPaths(paths []string) error {
	seen := make(map[string]bool, len(paths))
	dirMask := -1 // an O_PATH fd of the first directory mask's root
	defer func() {
		if dirMask >= 0 {
			unix.Close(dirMask)
		}
	}()
	for _, p := range paths {
		clean := filepath.Clean("/" + p)
		if seen[clean] {
			continue
		}
		seen[clean] = true
		fd, err := maskPath(p, dirMask)
		if err != nil {
			return err
		}
		if fd >= 0 {
			dirMask = fd
		}
	}
	return nil
}

func readonlyPath(p string) error {
	fd, err := openIn(rootFd(), p)
	if errors.Is(err, unix.ENOENT) {
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

// maskPath hides p: a read-only empty tmpfs over a directory (dirMask,
// when it is an fd of one already made, bound there), /dev/null over
// anything else. When it mounts a new tmpfs it returns an O_PATH fd of
// it for the next directories to share, else -1.
func maskPath(p string, dirMask int) (int, error) {
	fd, err := openIn(rootFd(), p)
	if errors.Is(err, unix.ENOENT) {
		return -1, nil
	}
	if err != nil {
		return -1, wrap("open masked path", p, err)
	}
	t := &target{fd: fd, rootfd: rootFd(), path: p}
	defer t.close()
	if isDir(fd) {
		return maskDir(t, dirMask)
	}
	null, err := nullDevice()
	if err != nil {
		return -1, err
	}
	defer unix.Close(null)
	return -1, wrap("mask", p, unix.Mount("/proc/self/fd/"+strconv.Itoa(null), t.procPath(), "", unix.MS_BIND, ""))
}

// maskDir mounts the read-only tmpfs over the directory t. A bind of
// dirMask keeps its read-only flag (a bind copies the mount's flags); a
// failed bind fails the container, as any mask that cannot be made.
func maskDir(t *target, dirMask int) (int, error) {
	if dirMask >= 0 {
		src := "/proc/self/fd/" + strconv.Itoa(dirMask)
		return -1, wrap("mask", t.path, unix.Mount(src, t.procPath(), "", unix.MS_BIND, ""))
	}
	if err := unix.Mount("tmpfs", t.procPath(), "tmpfs", unix.MS_RDONLY, "size=0k"); err != nil {
		return -1, wrap("mask", t.path, err)
	}
	// The held fd names the covered directory: resolve the path again
	// to reach the tmpfs on it.
	if err := t.reopen(); err != nil {
		return -1, err
	}
	fd, err := unix.FcntlInt(uintptr(t.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, wrap("dup mask of", t.path, err)
	}
	return fd, nil
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
