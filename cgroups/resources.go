package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// v2Name is the unified hierarchy's name for a v1 controller that a
// hybrid host may have only there ("" when v2 has no such controller).
var v2Name = map[string]string{
	"cpuset": "cpuset", "cpu": "cpu", "memory": "memory", "pids": "pids",
	"blkio": "io", "hugetlb": "hugetlb", "rdma": "rdma",
}

// ErrV1NoUnified refuses linux.resources.unified where v1 controllers are
// mounted (v1 and hybrid hosts), as runc does.
var ErrV1NoUnified = errors.New("invalid configuration: cannot use unified on cgroup v1")

// v1Dir is the container's directory in the v1 hierarchy holding c.
func (m *manager) v1Dir(c string) string {
	for key, dir := range m.paths {
		if key != "" && hasController(key, c) {
			return dir
		}
	}
	return ""
}

// unifiedHas reports whether the unified hierarchy offers controller c
// at the container's level (its parent's cgroup.controllers).
func (m *manager) unifiedHas(c string) bool {
	dir := m.paths[""]
	b, err := cgfile.ReadString(filepath.Dir(dir), "cgroup.controllers")
	if err != nil {
		return false
	}
	for _, x := range strings.Fields(b) {
		if x == c {
			return true
		}
	}
	return false
}

// unifiedRoot is the mount point of the cgroup2 hierarchy the container's
// unified directory lies in.
func (m *manager) unifiedRoot() string {
	if m.v2root != "" {
		return m.v2root
	}
	hs, _ := Hierarchies()
	dir := m.paths[""]
	for _, h := range hs {
		if h.Fstype == "cgroup2" && (dir == h.MountPoint || strings.HasPrefix(dir, h.MountPoint+"/")) {
			m.v2root = h.MountPoint
		}
	}
	return m.v2root
}

// checkMemoryUpdate enforces memory.checkBeforeUpdate: a new limit below
// the current usage is refused rather than triggering reclaim or the OOM
// killer (config-linux.md "Memory").
func checkMemoryUpdate(dir, usageFile string, mem *specs.LinuxMemory) error {
	if mem == nil || mem.CheckBeforeUpdate == nil || !*mem.CheckBeforeUpdate || mem.Limit == nil || *mem.Limit <= 0 {
		return nil
	}
	usage, err := cgfile.ReadUint(dir, usageFile)
	if err != nil {
		return err
	}
	if uint64(*mem.Limit) < usage {
		return fmt.Errorf("linux.resources.memory.limit: %d is below the current usage %d and checkBeforeUpdate is set", *mem.Limit, usage)
	}
	return nil
}
