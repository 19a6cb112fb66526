package cgfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where every cgroup hierarchy is mounted (v1 controllers,
// a hybrid host's unified mount, or the v2 hierarchy itself).
const cgroupRoot = "/sys/fs/cgroup"

var rootFd = sync.OnceValues(func() (int, error) {
	fd, err := unix.Open(cgroupRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", cgroupRoot, err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("statfs %s: %w", cgroupRoot, err)
	}
	switch st.Type {
	case unix.TMPFS_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC:
	default:
		unix.Close(fd)
		return -1, fmt.Errorf("%s is not a cgroup filesystem or a tmpfs holding cgroup mounts (statfs type %#x)", cgroupRoot, st.Type)
	}
	return fd, nil
})

// OpenFile opens dir/name, a file of a cgroup, from a descriptor of
// /sys/fs/cgroup with openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS), as
// opencontainers/cgroups does: a symlink that a container process planted
// in a cgroup it owns (a delegated subtree) cannot lead the write out of
// the cgroup mounts. Paths outside /sys/fs/cgroup (unit tests' temporary
// directories) and kernels without openat2 (before 5.6) are opened as
// they are.
func OpenFile(dir, name string, flags int) (*os.File, error) {
	path := filepath.Join(dir, name)
	// Not cleaned: openat2 refuses a ".." that climbs out of the root,
	// where a cleaned path would have left the prefix unnoticed.
	rel, ok := strings.CutPrefix(dir+"/"+name, cgroupRoot+"/")
	if !ok {
		return os.OpenFile(path, flags|unix.O_CLOEXEC, 0)
	}
	root, err := rootFd()
	if err != nil {
		return nil, err
	}
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	for errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
		// a rename elsewhere under the root raced the lookup: retry
		fd, err = unix.Openat2(root, rel, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CLOEXEC),
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
		})
	}
	if errors.Is(err, unix.ENOSYS) {
		return os.OpenFile(path, flags|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
