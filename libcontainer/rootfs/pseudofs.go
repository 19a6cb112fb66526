package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// isPseudoFS reports whether m mounts a new procfs or sysfs: the
// filesystems whose masks and read-only paths (/proc/kcore, /proc/sys,
// /sys/firmware, ...) are applied by path after pivot_root.
func isPseudoFS(m *configs.Mount) bool {
	return (m.Type == "proc" || m.Type == "sysfs") && !m.IsBind()
}

// ordinaryDirIn resolves the destination of a proc or sysfs mount, which
// must be a plain directory of the rootfs (or missing: it is then made).
// A symlink there would be followed to wherever it points, and the fresh
// procfs would land away from the path the masks and read-only paths
// name, unprotected: so a destination that is a symlink, a file or
// anything else is refused, as runc refuses it. The parents resolve in
// the root as for every mount; the last name is opened without following
// it, so the fd held is the directory that was checked.
func ordinaryDirIn(rootfd int, m *configs.Mount) (*target, error) {
	rel := strings.TrimPrefix(filepath.Clean("/"+m.Destination), "/")
	if rel == "" {
		return ensureIn(rootfd, m.Destination, false)
	}
	dir, name := filepath.Split(rel)
	parent, err := ensureIn(rootfd, dir, false)
	if err != nil {
		return nil, err
	}
	defer parent.close()
	how := unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent.fd, name, how, 0)
	if errors.Is(err, unix.ENOENT) {
		if err := unix.Mkdirat(parent.fd, name, 0o755); err != nil && err != unix.EEXIST {
			return nil, &os.PathError{Op: "create", Path: m.Destination, Err: err}
		}
		fd, err = unix.Openat(parent.fd, name, how, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: m.Destination, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: m.Destination, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is a %s: filesystem %q must be mounted on ordinary directory",
			m.Destination, fileKind(st.Mode), m.Type)
	}
	return &target{fd: fd, rootfd: rootfd, path: m.Destination}, nil
}

// fileKind names a file type for an error message.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	}
	return "directory"
}
