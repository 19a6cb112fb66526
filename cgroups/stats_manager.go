package cgroups

import (
	"github.com/berth-runtime/berth/cgroups/fs"
	"github.com/berth-runtime/berth/cgroups/fs2"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// Stats reads the container's counters from every hierarchy: v1
// controllers from their own, and on hybrid hosts those the unified
// hierarchy holds (hugetlb) from it.
func (m *manager) Stats() (*stats.Stats, error) {
	s := &stats.Stats{}
	if m.pureV2() {
		return s, fs2.Stats(m.paths[""], s)
	}
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

// OOMKills counts the processes the kernel's OOM killer killed in the
// container's memory cgroup.
func (m *manager) OOMKills() (uint64, error) {
	if m.pureV2() {
		return fs2.OOMKills(m.paths[""])
	}
	return fs.OOMKills(m.v1Dir("memory"))
}
