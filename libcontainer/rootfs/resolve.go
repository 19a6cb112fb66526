// Package rootfs sets up the container's filesystem inside its new mount
// namespace: the mounts of config.json, /dev, pivot_root, read-only and
// masked paths. One file per concern.
package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveHow resolves a path as if root were "/": no ".." or symlink can
// lead out of it (openat2(2) RESOLVE_IN_ROOT), and no /proc magic link.
var resolveHow = unix.OpenHow{
	Flags:   unix.O_PATH | unix.O_CLOEXEC,
	Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
}

func openIn(rootfd int, rel string) (int, error) {
	for {
		fd, err := unix.Openat2(rootfd, rel, &resolveHow)
		if err != unix.EINTR && err != unix.EAGAIN {
			return fd, err
		}
	}
}

// target is a destination resolved inside the rootfs and held open, so the
// mount lands on what was checked even if the path is swapped afterwards.
type target struct {
	fd     int
	rootfd int
	path   string // the destination as config.json names it, for errors
}

// reopen re-resolves the destination after something was mounted on it:
// the held fd still names the covered directory, and a magic link through
// it does not step onto the mount above.
func (t *target) reopen() error {
	rel := strings.TrimPrefix(filepath.Clean("/"+t.path), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := openIn(t.rootfd, rel)
	if err != nil {
		return &os.PathError{Op: "reopen", Path: t.path, Err: err}
	}
	unix.Close(t.fd)
	t.fd = fd
	return nil
}

// procPath is what mount(2) is given: the magic link of the held fd.
func (t *target) procPath() string { return "/proc/self/fd/" + strconv.Itoa(t.fd) }
func (t *target) close()           { unix.Close(t.fd) }

// ensureIn resolves dest inside the rootfs (fd rootfd), creating missing
// parent directories and, when missing, the last component as a directory
// (or an empty file if file is true). Each creation is a single name made
// under an fd that was itself resolved in root, so a symlink planted in the
// rootfs can redirect nothing outside it.
func ensureIn(rootfd int, dest string, file bool) (*target, error) {
	rel := strings.TrimPrefix(filepath.Clean("/"+dest), "/")
	if rel == "" {
		fd, err := unix.Dup(rootfd)
		return &target{fd: fd, rootfd: rootfd, path: dest}, err
	}
	if fd, err := openIn(rootfd, rel); err == nil {
		return &target{fd: fd, rootfd: rootfd, path: dest}, nil
	} else if err != unix.ENOENT {
		return nil, &os.PathError{Op: "resolve", Path: dest, Err: err}
	}
	parts := strings.Split(rel, "/")
	cur, err := unix.Dup(rootfd)
	if err != nil {
		return nil, err
	}
	for i, name := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		next, err := openIn(rootfd, prefix)
		if err == unix.ENOENT {
			last := i == len(parts)-1
			if last && file {
				var fd int
				fd, err = unix.Openat(cur, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
				if err == nil {
					unix.Close(fd)
				}
			} else {
				err = unix.Mkdirat(cur, name, 0o755)
			}
			if err != nil && err != unix.EEXIST {
				unix.Close(cur)
				return nil, &os.PathError{Op: "create", Path: "/" + prefix, Err: err}
			}
			next, err = openIn(rootfd, prefix)
			if err == unix.ENOENT {
				// The name exists but does not resolve: a dangling symlink.
				unix.Close(cur)
				return nil, &os.PathError{Op: "resolve", Path: "/" + prefix, Err: errors.New("dangling symlink")}
			}
		}
		unix.Close(cur)
		if err != nil {
			return nil, &os.PathError{Op: "resolve", Path: "/" + prefix, Err: err}
		}
		cur = next
	}
	return &target{fd: cur, rootfd: rootfd, path: dest}, nil
}

// isDir reports whether fd is a directory.
func isDir(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
