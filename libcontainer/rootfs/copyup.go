package rootfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// copyTree copies what is under src into dst (tmpcopyup), keeping each
// entry's type, owner and mode, the setuid, setgid and sticky bits
// included: Podman adds tmpcopyup to the tmpfs mounts it makes (/run,
// /tmp, ...), and a copy that turned a 1777 /tmp/x into 0755 or dropped
// the owner of a private 0700 directory would change who may do what
// there. dst itself is the tmpfs's root, whose mode came with the mount
// (inheritTmpfsMode). Errors name the entry relative to the destination.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, _ fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(src, p)
		if err != nil {
			return &os.PathError{Op: "read", Path: rel, Err: err}
		}
		if rel == "." {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "stat", Path: rel, Err: err}
		}
		if err := copyEntry(p, filepath.Join(dst, rel), &st); err != nil {
			return &os.PathError{Op: "copy", Path: rel, Err: err}
		}
		return nil
	})
}

// copyEntry makes to as a copy of from (described by st). The owner is set
// before the mode, because chown(2) clears the setuid and setgid bits.
func copyEntry(from, to string, st *unix.Stat_t) error {
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		err = unix.Mkdir(to, 0o700)
	case unix.S_IFLNK:
		var l string
		if l, err = os.Readlink(from); err == nil {
			err = unix.Symlink(l, to)
		}
		if err != nil {
			return err
		}
		// A symlink's mode means nothing; only its owner is kept.
		return unix.Lchown(to, int(st.Uid), int(st.Gid))
	case unix.S_IFREG:
		err = copyFile(from, to)
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		err = unix.Mknod(to, st.Mode&unix.S_IFMT|0o600, int(st.Rdev))
	default:
		// A socket belongs to the process bound to it: nothing to copy.
		return nil
	}
	if err != nil {
		return err
	}
	if err := unix.Lchown(to, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	return unix.Fchmodat(unix.AT_FDCWD, to, st.Mode&0o7777, 0)
}

// copyFile copies a regular file's contents into a new file to, private
// until copyEntry gives it its owner and mode.
func copyFile(from, to string) error {
	in, err := os.OpenFile(from, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
