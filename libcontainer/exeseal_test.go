package libcontainer

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The memfd berth runs init from when it may not use open_tree (no root):
// a copy of the binary that nothing can change.
func TestMemfdExeSealed(t *testing.T) {
	path, f, err := memfdExe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if seals&want != want {
		t.Errorf("seals %#x, want %#x set", seals, want)
	}
	st, _ := f.Stat()
	exe, err := os.Stat("/proc/self/exe")
	if err != nil || st.Size() != exe.Size() {
		t.Errorf("size %d, want the binary's %d (%v)", st.Size(), exe.Size(), err)
	}
	// Through the path init is run from, as a process holding it would.
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		_, err = w.Write([]byte("pwned"))
		_ = w.Close()
	}
	if err == nil {
		t.Fatal("writing the sealed binary succeeded")
	}
	if err := f.Truncate(0); err == nil {
		t.Fatal("truncating the sealed binary succeeded")
	}
}
