package rootfs

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// copyTree copies the contents of src into dst (tmpcopyup).
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return os.Chmod(dst, fi.Mode().Perm())
		}
		to := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			if err := os.Mkdir(to, fi.Mode().Perm()); err != nil {
				return err
			}
		case fi.Mode()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(to, b, fi.Mode().Perm()); err != nil {
				return err
			}
		}
		if st, ok := fi.Sys().(*unix.Stat_t); ok {
			os.Lchown(to, int(st.Uid), int(st.Gid))
		}
		return nil
	})
}
