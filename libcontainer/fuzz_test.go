package libcontainer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// FuzzLoadState feeds arbitrary bytes as state.json to what every command after create
// does with it: load it and read the container's status. It must never panic; an error
// names the file (or says the container does not exist); a state it accepts has a
// config and survives a save and a load unchanged. (Nothing that acts on the host,
// like Destroy, runs on fuzzed state.) Seeds: testdata/fuzz/FuzzLoadState.
func FuzzLoadState(f *testing.F) {
	good, err := json.Marshal(&State{
		ID: "c1", Status: Created, Pid: 1, Bundle: "/b",
		Config: &configs.Config{Rootfs: "/b/rootfs"}, CgroupPaths: map[string]string{"pids": "/nonexistent/c1"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := fastTempDir(t)
		file := filepath.Join(dir, stateFile)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := loadState(dir, "c1")
		if err != nil {
			if !strings.Contains(err.Error(), file) && !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("error %q does not name %s", err, file)
			}
			return
		}
		if s.Config == nil || s.ID != "c1" {
			t.Fatalf("accepted %+v", s)
		}
		c := &Container{ID: "c1", Dir: dir, State: s}
		switch st := c.Status(); st {
		case Creating, Created, Running, Paused, Stopped:
		default:
			t.Fatalf("status %q", st)
		}
		c.SpecState()
		b1, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := saveState(dir, s); err != nil {
			t.Fatal(err)
		}
		s2, err := loadState(dir, "c1")
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if b2, _ := json.Marshal(s2); string(b1) != string(b2) {
			t.Fatalf("round trip changed the state:\n%s\n%s", b1, b2)
		}
	})
}

// FuzzRecvMsg feeds arbitrary packets to the parent's side of the sync protocol, as a
// broken or hostile init could send them. recvMsg must never panic, and returns either
// a message or an error; an "error" message comes back as an *initError. Seeds:
// testdata/fuzz/FuzzRecvMsg.
func FuzzRecvMsg(f *testing.F) {
	for _, m := range []syncMsg{
		{Type: msgNsenter, Pid: 42},
		{Type: msgPid, Pid: 43},
		{Type: msgReady},
		{Type: msgError, Step: "nsenter", Msg: "setns: Invalid argument"},
	} {
		b, _ := json.Marshal(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
		defer func() { _ = r.Close() }()
		if err := unix.Sendmsg(fds[1], data, nil, nil, unix.MSG_DONTWAIT); err != nil {
			_ = w.Close()
			t.Skip(err) // larger than a packet may be
		}
		// An empty packet reads as the peer closing, as a dead init's would.
		_ = w.Close()
		m, fd, err := recvMsg(r)
		if fd >= 0 {
			t.Fatalf("an fd from a packet that carried none: %d", fd)
		}
		if err == nil {
			if m.Type == msgError {
				t.Fatalf("error message returned as a message: %+v", m)
			}
			return
		}
		var ie *initError
		if m.Type == msgError && !asInitError(err, &ie) {
			t.Fatalf("error message not an *initError: %v", err)
		}
		if len(err.Error()) > 2048 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}

func asInitError(err error, ie **initError) bool {
	return errors.As(err, ie)
}

// fastTempDir is a temporary directory on a tmpfs if the host has /dev/shm: saveState
// syncs, which on a disk would make fuzzing crawl.
func fastTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "berth-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
