package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFollowLinks: dangling symlinks are read as if the root were "/".
func TestFollowLinks(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "srv"), 0o755))
	must(os.Symlink("/run/stub.conf", filepath.Join(root, "etc/resolv.conf")))
	must(os.Symlink("srv/link", filepath.Join(root, "data")))
	must(os.Symlink("../var/lib/data", filepath.Join(root, "srv/link")))
	must(os.Symlink("../../../../../../outside", filepath.Join(root, "up")))
	must(os.Symlink("loop2", filepath.Join(root, "loop1")))
	must(os.Symlink("loop1", filepath.Join(root, "loop2")))
	rootfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(err)
	defer unix.Close(rootfd)
	for _, c := range []struct{ in, want string }{
		{"etc/resolv.conf", "run/stub.conf"},
		{"data/sub", "var/lib/data/sub"},
		{"up/x", "outside/x"},
		{"etc/missing/../x", "etc/x"},
		{"missing/a/b", "missing/a/b"},
	} {
		got, err := followLinks(rootfd, c.in)
		if err != nil || got != c.want {
			t.Errorf("followLinks(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := followLinks(rootfd, "loop1"); !errors.Is(err, unix.ELOOP) {
		t.Errorf("followLinks(loop1): %v, want ELOOP", err)
	}
}
