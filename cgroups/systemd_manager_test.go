package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A container whose create failed before its unit was started (another
// container's create won the name) must leave that unit and its cgroup
// alone; one that started its unit stops it (here: systemd cannot be
// reached, which the error says).
func TestSystemdDestroyOnlyStopsItsOwnUnit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "berth-c1.scope")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{"": dir}

	m, err := LoadSystemd("system.slice:berth:c1", false, paths, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("destroy of a unit this container did not start: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the other container's cgroup was removed: %v", err)
	}

	if _, err := os.Stat("/run/systemd/system"); err == nil {
		return // systemd runs here: stopping its unit is tests/systemd's
	}
	m, err = LoadSystemd("system.slice:berth:c1", false, paths, map[string]string{unitKey: "berth-c1.scope"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err == nil || !strings.Contains(err.Error(), "connect to systemd") {
		t.Fatalf("destroy of its own unit without systemd: %v, want the connect error", err)
	}
}
