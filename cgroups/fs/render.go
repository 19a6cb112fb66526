// Package fs is the cgroup v1 driver: it renders linux.resources to the
// files of each v1 controller's hierarchy and reads their statistics. It
// does no I/O when rendering, so its tests need no root; the cgroups
// manager decides which hierarchy each controller's writes go to.
package fs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// Controllers are the v1 controllers that resources can set, in the order
// the manager applies them (cpuset before the others: a v1 cpuset cgroup
// refuses tasks until cpus and mems are set).
var Controllers = []string{"cpuset", "cpu", "memory", "pids", "blkio", "hugetlb", "net_cls", "net_prio", "rdma", "devices"}

var renderers = map[string]func(*specs.LinuxResources) ([]cgfile.Write, error){
	"cpuset":   renderCpuset,
	"cpu":      renderCPU,
	"memory":   renderMemory,
	"pids":     renderPids,
	"blkio":    renderBlkio,
	"hugetlb":  renderHugetlb,
	"net_cls":  renderNetCls,
	"net_prio": renderNetPrio,
	"rdma":     renderRdma,
	"devices":  renderDevices,
}

// Render returns the writes that set r's values for one v1 controller:
// none when r sets nothing for it.
func Render(controller string, r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r == nil {
		return nil, nil
	}
	f, ok := renderers[controller]
	if !ok {
		return nil, fmt.Errorf("unknown cgroup v1 controller %q", controller)
	}
	return f(r)
}

func w(field, file, value string) cgfile.Write {
	return cgfile.Write{File: file, Value: value, Field: "linux.resources." + field}
}

// optional marks a write of a file that older or newer kernels lack; it is
// skipped there instead of failing (kernel memory, burst, rsvd limits).
func optional(x cgfile.Write) cgfile.Write {
	x.Optional = true
	return x
}
