package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// freezerDir finds where freezing happens: the v1 freezer hierarchy if the
// host has one (v1 and hybrid), else the unified one (cgroup.freeze).
func (m *manager) freezerDir() (dir string, v1 bool) {
	for key, d := range m.paths {
		for _, c := range strings.Split(key, ",") {
			if c == "freezer" {
				return d, true
			}
		}
	}
	if d, ok := m.paths[""]; ok {
		if _, err := os.Stat(filepath.Join(d, "cgroup.freeze")); err == nil {
			return d, false
		}
	}
	return "", false
}

func (m *manager) Freeze(frozen bool) error {
	dir, v1 := m.freezerDir()
	if dir == "" {
		return fmt.Errorf("no freezer: the host has neither the v1 freezer controller nor cgroup.freeze")
	}
	if !v1 {
		val := "0"
		if frozen {
			val = "1"
		}
		return writeFile(dir, "cgroup.freeze", val)
	}
	want := "THAWED"
	if frozen {
		want = "FROZEN"
	}
	// v1 freezing can linger in FREEZING while a task is in an
	// uninterruptible sleep: ask again until it settles.
	for i := 0; i < 1000; i++ {
		if err := writeFile(dir, "freezer.state", want); err != nil {
			return fmt.Errorf("write %s/freezer.state: %w", dir, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "freezer.state"))
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(b)) == want {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s/freezer.state did not reach %s", dir, want)
}

func (m *manager) Frozen() bool {
	dir, v1 := m.freezerDir()
	if dir == "" {
		return false
	}
	if !v1 {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.events"))
		return strings.Contains(string(b), "frozen 1")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "freezer.state"))
	return strings.TrimSpace(string(b)) == "FROZEN"
}

// Kill SIGKILLs every process in the container's cgroup at once through
// cgroup.kill (v2, Linux 5.14+), which races with no fork. It reports
// false where the host has no cgroup.kill, for the caller to signal each
// process instead.
func (m *manager) Kill() (bool, error) {
	dir, ok := m.paths[""]
	if !ok || !m.pureV2() {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
		return false, nil
	}
	return true, writeFile(dir, "cgroup.kill", "1")
}
