package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/fs"
	"github.com/berth-runtime/berth/cgroups/fs2"
)

// v2Name is the unified hierarchy's name for a v1 controller that a
// hybrid host may have only there ("" when v2 has no such controller).
var v2Name = map[string]string{
	"cpuset": "cpuset", "cpu": "cpu", "memory": "memory", "pids": "pids",
	"blkio": "io", "hugetlb": "hugetlb", "rdma": "rdma",
}

// Set writes the values r gives, and only those: a caller updating one
// field passes a LinuxResources holding just that field.
func (m *manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.Check(r); err != nil {
		return err
	}
	if m.pureV2() {
		return m.setV2(r)
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
		// A hybrid host may have the controller on its cgroup2 mount
		// only (hugetlb on this project's test host).
		if err := m.setOnUnified(c, r, ws); err != nil {
			return err
		}
	}
	if len(r.Unified) > 0 {
		dir, ok := m.paths[""]
		if !ok {
			return fmt.Errorf("linux.resources.unified: the host has no cgroup v2 hierarchy")
		}
		ws, err := fs2.Render("unified", r)
		if err != nil {
			return err
		}
		return cgfile.Apply(dir, ws)
	}
	return nil
}

func (m *manager) setOnUnified(c string, r *specs.LinuxResources, v1 []cgfile.Write) error {
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

func (m *manager) setV2(r *specs.LinuxResources) error {
	dir := m.paths[""]
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

// ErrV1NoUnified refuses linux.resources.unified where v1 controllers are
// mounted (v1 and hybrid hosts), as runc does, in runc's words: the keys
// name v2 files, and half of a hybrid host's controllers are not there.
var ErrV1NoUnified = errors.New("invalid configuration: cannot use unified on cgroup v1")

func (m *manager) Check(r *specs.LinuxResources) error {
	if r != nil && len(r.Unified) > 0 && !m.pureV2() {
		return fmt.Errorf("linux.resources.unified: %w", ErrV1NoUnified)
	}
	return nil
}

// pureV2 is true when the only hierarchy is the unified one.
func (m *manager) pureV2() bool {
	_, ok := m.paths[""]
	return ok && len(m.paths) == 1
}

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
	b, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "cgroup.controllers"))
	if err != nil {
		return false
	}
	for _, x := range strings.Fields(string(b)) {
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
