package cgroups

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/fs2"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// v2Manager is the driver of pure cgroup v2 hosts: one directory, key "".
type v2Manager struct{ *manager }

func (m *v2Manager) V2() bool { return true }

func (m *v2Manager) dir() string { return m.paths[""] }

// Set writes the values r gives, and only those, enabling the controllers
// they need in the parents' cgroup.subtree_control first.
func (m *v2Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	dir := m.dir()
	need := fs2.Needed(r)
	if err := fs2.EnableControllers(m.unifiedRoot(), dir, need); err != nil {
		return err
	}
	for _, c := range append(need, "unified") {
		var ws []cgfile.Write
		var err error
		if c == "io" {
			// io weights go to io.bfq.weight where BFQ is the scheduler
			ws, err = fs2.RenderIO(fs2.ProbeIO(dir), r)
		} else {
			ws, err = fs2.Render(c, r)
		}
		if err != nil {
			return err
		}
		if c == "memory" {
			if err := checkMemoryUpdate(dir, "memory.current", r.Memory); err != nil {
				return err
			}
		}
		if err := cgfile.Apply(dir, ws); err != nil {
			return err
		}
	}
	if len(r.Devices) > 0 {
		return fs2.SetDevices(dir, r.Devices)
	}
	return nil
}

// Check has nothing to refuse before Create: every field has a v2 file or
// is refused by its renderer.
func (m *v2Manager) Check(*specs.LinuxResources) error { return nil }

func (m *v2Manager) Stats() (*stats.Stats, error) {
	s := &stats.Stats{}
	return s, fs2.Stats(m.dir(), s)
}

func (m *v2Manager) OOMKills() (uint64, error) { return fs2.OOMKills(m.dir()) }

func (m *v2Manager) MemoryUsageFile() (dir, file string) { return m.dir(), "memory.current" }

func (m *v2Manager) Freeze(frozen bool) error { return freezeV2(m.dir(), frozen) }

func (m *v2Manager) Frozen() bool { return frozenV2(m.dir()) }

// Kill SIGKILLs every process in the container's cgroup at once through
// cgroup.kill (Linux 5.14+), which races with no fork. It reports false
// where the kernel has no cgroup.kill, for the caller to signal each
// process instead.
func (m *v2Manager) Kill() (bool, error) {
	if !cgfile.Exists(m.dir(), "cgroup.kill") {
		return false, nil
	}
	return true, writeFile(m.dir(), "cgroup.kill", "1")
}

func freezeV2(dir string, frozen bool) error {
	val := "0"
	if frozen {
		val = "1"
	}
	return writeFile(dir, "cgroup.freeze", val)
}

func frozenV2(dir string) bool {
	s, _ := cgfile.ReadString(dir, "cgroup.events")
	return strings.Contains(s, "frozen 1")
}
