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
	// rel, when set, is where path led once its dangling symlinks were
	// followed (see followLinks): reopen goes there.
	rel string
}

// reopen re-resolves the destination after something was mounted on it:
// the held fd still names the covered directory, and a magic link through
// it does not step onto the mount above.
func (t *target) reopen() error {
	rel := t.rel
	if rel == "" {
		rel = strings.TrimPrefix(filepath.Clean("/"+t.path), "/")
	}
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
// rootfs can redirect nothing outside it. A dest that reaches a missing
// name through symlinks (an image's dangling /etc/resolv.conf, which
// Docker and Kubernetes bind over) is made where its links lead, read as
// if the rootfs were "/" (runc does the same).
func ensureIn(rootfd int, dest string, file bool) (*target, error) {
	rel := strings.TrimPrefix(filepath.Clean("/"+dest), "/")
	if rel == "" {
		fd, err := unix.Dup(rootfd)
		return &target{fd: fd, rootfd: rootfd, path: dest}, err
	}
	if fd, err := openIn(rootfd, rel); err == nil {
		return &target{fd: fd, rootfd: rootfd, path: dest}, nil
	} else if !errors.Is(err, unix.ENOENT) {
		return nil, &os.PathError{Op: "resolve", Path: dest, Err: err}
	}
	resolved, err := followLinks(rootfd, rel)
	if err != nil {
		return nil, &os.PathError{Op: "resolve", Path: dest, Err: err}
	}
	if resolved == "" {
		return nil, &os.PathError{Op: "resolve", Path: dest, Err: errors.New("its symlinks lead to the rootfs itself")}
	}
	if resolved != rel {
		if fd, err := openIn(rootfd, resolved); err == nil {
			return &target{fd: fd, rootfd: rootfd, path: dest, rel: resolved}, nil
		}
	}
	t, err := createIn(rootfd, resolved, file)
	if err != nil {
		return nil, err
	}
	t.path = dest
	if resolved != rel {
		t.rel = resolved
	}
	return t, nil
}

// createIn makes the missing components of rel (which has no symlinks on
// its way) one by one.
func createIn(rootfd int, rel string, file bool) (*target, error) {
	parts := strings.Split(rel, "/")
	cur, err := unix.Dup(rootfd)
	if err != nil {
		return nil, err
	}
	for i, name := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		next, err := openIn(rootfd, prefix)
		if errors.Is(err, unix.ENOENT) {
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
			if err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(cur)
				return nil, &os.PathError{Op: "create", Path: "/" + prefix, Err: err}
			}
			next, err = openIn(rootfd, prefix)
			if errors.Is(err, unix.ENOENT) {
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
	return &target{fd: cur, rootfd: rootfd, path: "/" + rel}, nil
}

// maxLinks bounds the symlinks followLinks reads, as the kernel's 40.
const maxLinks = 40

// followLinks returns rel with each symlink on its way, dangling ones too,
// replaced by what it names, read inside the root (fd rootfd): an absolute
// target starts again at the root, and ".." stops there. Names that do not
// exist are kept as they are. The result is only a candidate: the caller
// still resolves and creates it with RESOLVE_IN_ROOT, so a rootfs changed
// meanwhile can mislead it only to another place inside the root.
func followLinks(rootfd int, rel string) (string, error) {
	var done []string
	todo := strings.Split(rel, "/")
	links, missing := 0, false
	buf := make([]byte, unix.PathMax)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		if missing {
			done = append(done, name)
			continue
		}
		target, err := readlinkIn(rootfd, strings.Join(done, "/"), name, buf)
		if err != nil {
			// Not a link (EINVAL), or not there: beyond a missing name
			// nothing exists, so nothing more is read.
			missing = errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)
			if !missing && !errors.Is(err, unix.EINVAL) {
				return "", err
			}
			done = append(done, name)
			continue
		}
		if links++; links > maxLinks {
			return "", unix.ELOOP
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return strings.Join(done, "/"), nil
}

// readlinkIn reads the symlink name in dir (relative to the root).
func readlinkIn(rootfd int, dir, name string, buf []byte) (string, error) {
	if dir == "" {
		dir = "."
	}
	dfd, err := openIn(rootfd, dir)
	if err != nil {
		return "", err
	}
	defer unix.Close(dfd)
	n, err := unix.Readlinkat(dfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
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
