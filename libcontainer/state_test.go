package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"abc", true},
		{"a-b_c.d+e", true},
		{strings.Repeat("x", 255), true},
		{"", false},
		{".", false},
		{"..", false},
		{"../../etc", false},
		{"a/b", false},
		{"a b", false},
		{"a\x00b", false},
		{"ünïcode", false},
		{strings.Repeat("x", 256), false},
	} {
		err := ValidateID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &State{ID: "c1", Pid: 42, Status: Created, Bundle: "/b", Config: &configs.Config{Rootfs: "/b/rootfs"}}
	if err := saveState(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(dir, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pid != 42 || got.Bundle != "/b" || got.Config.Rootfs != "/b/rootfs" {
		t.Fatalf("loaded %+v", got)
	}
	// The atomic write leaves no temporary file behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != stateFile {
		t.Fatalf("state dir holds %v", ents)
	}
}

func TestLoadStateErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadState(dir, "c1"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing state: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id":"c1",`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(dir, "c1"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("half-written state: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id":"other"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(dir, "c1"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("state of another id: %v", err)
	}
	// every command after create needs the config: a state without one is corrupt
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id":"c1","config":null}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(dir, "c1"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("state without a config: %v", err)
	}
}

func TestLiveStatus(t *testing.T) {
	dir := t.TempDir()
	self := os.Getpid()
	start, err := proc.StartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	s := &State{ID: "c1", Pid: self, StartTime: start, Status: Created}
	if got := liveStatus(dir, s); got != Running {
		t.Errorf("alive without fifo: %s, want running", got)
	}
	if err := os.WriteFile(filepath.Join(dir, fifoName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := liveStatus(dir, s); got != Created {
		t.Errorf("alive with fifo: %s, want created", got)
	}
	// Same pid, other start time: the pid was reused, the container is gone.
	s.StartTime = start + 1
	if got := liveStatus(dir, s); got != Stopped {
		t.Errorf("recycled pid: %s, want stopped", got)
	}
	s.Pid = 0
	if got := liveStatus(dir, s); got != Stopped {
		t.Errorf("no pid: %s, want stopped", got)
	}
}

func TestBootstrap(t *testing.T) {
	cfg := &configs.Config{Namespaces: []configs.Namespace{
		{Type: "pid", Flag: 0x20000000},
		{Type: "network", Flag: 0x40000000, Path: "/var/run/netns/x"},
		{Type: "mount", Flag: 0x20000},
	}}
	got := bootstrap(cfg, nil)
	want := "join 1073741824 /var/run/netns/x\nclone 537001984\n"
	if got != want {
		t.Fatalf("bootstrap = %q, want %q", got, want)
	}
	// an unprivileged direct gid map: init must not call setgroups
	got = bootstrap(cfg, &idMapPlan{setgroupsDeny: true})
	if want += "setgroups deny\n"; got != want {
		t.Fatalf("bootstrap = %q, want %q", got, want)
	}
}
