package cgroups

import (
	"fmt"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/fs"
	"github.com/berth-runtime/berth/cgroups/fs2"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// v1Manager is the driver of v1 hosts, and of hybrid ones: a directory per
// v1 hierarchy, and on a hybrid host one on its cgroup2 mount too (key
// ""), which holds the controllers the v1 hierarchies lack (hugetlb on
// this project's test host) and nothing else.
type v1Manager struct{ *manager }

func (m *v1Manager) V2() bool { return false }

// Set writes the values r gives, and only those: a caller updating one
// field passes a LinuxResources holding just that field.
func (m *v1Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.Check(r); err != nil {
		return err
	}
	for _, c := range fs.Controllers {
		ws, err := fs.Render(c, r)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			continue
		}
		if dir := m.v1Dir(c); dir != "" {
			if c == "memory" {
				if err := checkMemoryUpdate(dir, "memory.usage_in_bytes", r.Memory); err != nil {
					return err
				}
			}
			if err := cgfile.Apply(dir, ws); err != nil {
				return err
			}
			continue
		}
		if err := m.setOnUnified(c, r, ws); err != nil {
			return err
		}
	}
	return nil
}

// setOnUnified writes, on a hybrid host, the values of a controller that
// the host has on its cgroup2 mount only.
func (m *v1Manager) setOnUnified(c string, r *specs.LinuxResources, v1 []cgfile.Write) error {
	missing := fmt.Errorf("%s: the host has no %s cgroup controller", v1[0].Field, c)
	dir, ok := m.paths[""]
	name := v2Name[c]
	if !ok || name == "" || !m.unifiedHas(name) {
		return missing
	}
	if err := fs2.EnableControllers(m.unifiedRoot(), dir, []string{name}); err != nil {
		return err
	}
	ws, err := fs2.Render(name, r)
	if err != nil {
		return err
	}
	return cgfile.Apply(dir, ws)
}

// Check refuses linux.resources.unified, as runc does, in runc's words:
// the keys name v2 files, and half of a hybrid host's controllers are not
// there.
func (m *v1Manager) Check(r *specs.LinuxResources) error {
	if r != nil && len(r.Unified) > 0 {
		return fmt.Errorf("linux.resources.unified: %w", ErrV1NoUnified)
	}
	return nil
}

// Stats reads the v1 controllers from their own hierarchies, and on hybrid
// hosts those the unified hierarchy holds (hugetlb) from it.
func (m *v1Manager) Stats() (*stats.Stats, error) {
	s := &stats.Stats{}
	if err := fs.Stats(m.v1Dir, s); err != nil {
		return nil, err
	}
	if dir, ok := m.paths[""]; ok && m.v1Dir("hugetlb") == "" {
		var u stats.Stats
		if err := fs2.Stats(dir, &u); err == nil {
			s.Hugetlb = u.Hugetlb
		}
	}
	return s, nil
}

func (m *v1Manager) OOMKills() (uint64, error) { return fs.OOMKills(m.v1Dir("memory")) }

func (m *v1Manager) MemoryUsageFile() (dir, file string) {
	return m.v1Dir("memory"), "memory.usage_in_bytes"
}

// freezer is the v1 freezer hierarchy's directory, or on a hybrid host
// without one the unified directory (cgroup.freeze).
func (m *v1Manager) freezer() (dir string, v1 bool) {
	if d := m.v1Dir("freezer"); d != "" {
		return d, true
	}
	if d, ok := m.paths[""]; ok && cgfile.Exists(d, "cgroup.freeze") {
		return d, false
	}
	return "", false
}

func (m *v1Manager) Freeze(frozen bool) error {
	dir, v1 := m.freezer()
	switch {
	case dir == "":
		return fmt.Errorf("no freezer: the host has neither the v1 freezer controller nor cgroup.freeze")
	case !v1:
		return freezeV2(dir, frozen)
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
		got, err := cgfile.ReadString(dir, "freezer.state")
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s/freezer.state did not reach %s", dir, want)
}

func (m *v1Manager) Frozen() bool {
	dir, v1 := m.freezer()
	switch {
	case dir == "":
		return false
	case !v1:
		return frozenV2(dir)
	}
	s, _ := cgfile.ReadString(dir, "freezer.state")
	return s == "FROZEN"
}

// Kill reports false: only v2 has cgroup.kill, and on a hybrid host the
// v1 hierarchies hold the processes too.
func (m *v1Manager) Kill() (bool, error) { return false, nil }
