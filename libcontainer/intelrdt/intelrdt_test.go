package intelrdt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// fakeRoot stands a directory in for a resctrl mount with the info
// directories given (L3, MB, L3_MON), and a root schemata file.
func fakeRoot(t *testing.T, info ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, i := range info {
		if err := os.MkdirAll(filepath.Join(root, "info", i), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "schemata"), []byte("L3:0=fffff\nMB:0=100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// As the kernel does, a new group comes with its mon_groups directory.
func init() {
	mkdirGroup = func(p string) error {
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		return os.Mkdir(filepath.Join(p, "mon_groups"), 0o755)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRootFromMountinfo(t *testing.T) {
	dir := t.TempDir()
	mi := filepath.Join(dir, "mountinfo")
	if err := os.WriteFile(mi, []byte(`22 1 0:21 / /proc rw,nosuid - proc proc rw
36 35 0:30 / /sys/fs/res\040ctrl rw,relatime shared:17 - resctrl resctrl rw,mba_MBps
`), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := rootFrom(mi)
	if err != nil || root != "/sys/fs/res ctrl" {
		t.Errorf("rootFrom = %q, %v", root, err)
	}
	if err := os.WriteFile(mi, []byte("22 1 0:21 / /proc rw,nosuid - proc proc rw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rootFrom(mi); !errors.Is(err, ErrNoResctrl) {
		t.Errorf("no resctrl: err = %v", err)
	}
}

func TestSchemataOrder(t *testing.T) {
	cfg := &configs.IntelRdt{Schemata: []string{"L2:0=f", "MB:0=70"}, MemBwSchema: "MB:0=20", L3CacheSchema: "L3:0=7f0;1=1f"}
	// config-linux.md: l3CacheSchema first, memBwSchema next, schemata last
	if got, want := Schemata(cfg), "L3:0=7f0;1=1f\nMB:0=20\nL2:0=f\nMB:0=70\n"; got != want {
		t.Errorf("Schemata = %q, want %q", got, want)
	}
	if got := Schemata(&configs.IntelRdt{ClosID: "x"}); got != "" {
		t.Errorf("no schemata: %q", got)
	}
}

func TestApplyOwnGroup(t *testing.T) {
	root := fakeRoot(t, "L3", "MB", "L3_MON")
	cfg := &configs.IntelRdt{ClosID: "c1", OwnGroup: true, L3CacheSchema: "L3:0=f", MemBwSchema: "MB:0=50", EnableMonitoring: true}
	m := &Manager{Root: root, ID: "c1", Cfg: cfg}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	made, err := m.Apply(4242)
	if err != nil || !made {
		t.Fatalf("Apply = %v, %v", made, err)
	}
	g := filepath.Join(root, "c1")
	if got := read(t, filepath.Join(g, "schemata")); got != "L3:0=f\nMB:0=50\n" {
		t.Errorf("schemata = %q", got)
	}
	if got := read(t, filepath.Join(g, "tasks")); got != "4242" {
		t.Errorf("tasks = %q", got)
	}
	if got := read(t, filepath.Join(g, "mon_groups", "c1", "tasks")); got != "4242" {
		t.Errorf("monitoring tasks = %q", got)
	}
	// the root's schemata untouched
	if got := read(t, filepath.Join(root, "schemata")); got != "L3:0=fffff\nMB:0=100\n" {
		t.Errorf("root schemata = %q", got)
	}
	// update: a new bandwidth line, the cache line kept
	cfg.MemBwSchema = "MB:0=30"
	if err := m.Set(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(g, "schemata")); got != "L3:0=f\nMB:0=30\n" {
		t.Errorf("schemata after update = %q", got)
	}
	// a real resctrl group holds its files; the fake needs emptying
	_ = os.RemoveAll(filepath.Join(g, "mon_groups"))
	_ = os.Remove(filepath.Join(g, "schemata"))
	_ = os.Remove(filepath.Join(g, "tasks"))
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("own group left: %v", err)
	}
}

func TestNamedGroup(t *testing.T) {
	root := fakeRoot(t, "L3", "L3_MON")
	// a named group without schemata must exist already
	m := &Manager{Root: root, ID: "c1", Cfg: &configs.IntelRdt{ClosID: "gold", EnableMonitoring: true}}
	if _, err := m.Apply(1); err == nil || !strings.Contains(err.Error(), `linux.intelRdt.closID "gold"`) {
		t.Errorf("missing named group: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "gold", "mon_groups"), 0o755); err != nil {
		t.Fatal(err)
	}
	made, err := m.Apply(7)
	if err != nil || made {
		t.Fatalf("Apply = %v, %v", made, err)
	}
	if _, err := os.Stat(filepath.Join(root, "gold", "schemata")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("schemata written without schemata in the config: %v", err)
	}
	mon := filepath.Join(root, "gold", "mon_groups", "c1")
	if got := read(t, filepath.Join(mon, "tasks")); got != "7" {
		t.Errorf("monitoring tasks = %q", got)
	}
	_ = os.Remove(filepath.Join(mon, "tasks"))
	// delete removes the monitoring group only: the named group may be shared
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mon); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("monitoring group left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "gold")); err != nil {
		t.Errorf("named group removed: %v", err)
	}
}

func TestRootGroup(t *testing.T) {
	root := fakeRoot(t, "L3")
	m := &Manager{Root: root, ID: "c1", Cfg: &configs.IntelRdt{ClosID: "/", L3CacheSchema: "L3:0=ff"}}
	if _, err := m.Apply(9); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "tasks")); got != "9" {
		t.Errorf("tasks = %q", got)
	}
	if got := read(t, filepath.Join(root, "schemata")); got != "L3:0=ff\n" {
		t.Errorf("schemata = %q", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("root removed: %v", err)
	}
}

func TestCheck(t *testing.T) {
	root := fakeRoot(t)
	for _, tc := range []struct {
		cfg   configs.IntelRdt
		field string
	}{
		{configs.IntelRdt{L3CacheSchema: "L3:0=f"}, "linux.intelRdt.l3CacheSchema"},
		{configs.IntelRdt{MemBwSchema: "MB:0=1"}, "linux.intelRdt.memBwSchema"},
		{configs.IntelRdt{EnableMonitoring: true}, "linux.intelRdt.enableMonitoring"},
	} {
		err := (&Manager{Root: root, Cfg: &tc.cfg}).Check()
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), "not enabled") {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
	if err := (&Manager{Root: root, Cfg: &configs.IntelRdt{ClosID: "x", Schemata: []string{"L2:0=f"}}}).Check(); err != nil {
		t.Errorf("schemata only: %v", err)
	}
}

func TestJoin(t *testing.T) {
	root := fakeRoot(t, "L3", "L3_MON")
	if err := os.MkdirAll(filepath.Join(root, "c1", "mon_groups", "c1"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Root: root, ID: "c1", Cfg: &configs.IntelRdt{ClosID: "c1", OwnGroup: true, EnableMonitoring: true}}
	if err := m.Join(55); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "c1", "tasks")); got != "55" {
		t.Errorf("tasks = %q", got)
	}
	if got := read(t, filepath.Join(root, "c1", "mon_groups", "c1", "tasks")); got != "55" {
		t.Errorf("monitoring tasks = %q", got)
	}
}
