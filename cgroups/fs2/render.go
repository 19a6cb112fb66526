package fs2

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/internal/field"
)

// Controllers are the v2 controllers resources can set, in the order the
// manager enables and applies them; "unified" comes after all of them.
var Controllers = []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}

var renderers = map[string]func(*specs.LinuxResources) ([]cgfile.Write, error){
	"cpuset":  renderCpuset,
	"cpu":     renderCPU,
	"io":      renderIO,
	"memory":  renderMemory,
	"hugetlb": renderHugetlb,
	"pids":    renderPids,
	"rdma":    renderRdma,
	"misc":    renderMisc,
	"unified": renderUnified,
}

// Render returns the writes that set r's values for one controller, or for
// "unified" the linux.resources.unified entries: none when r sets nothing
// for it. It reads no file; the few choices that depend on the kernel
// (io.bfq.weight) are RenderIO's.
func Render(controller string, r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r == nil {
		return nil, nil
	}
	f, ok := renderers[controller]
	if !ok {
		return nil, fmt.Errorf("unknown cgroup v2 controller %q", controller)
	}
	return f(r)
}

// Needed lists, in Controllers order, the controllers r sets a value for,
// by a typed field or by a unified key: the ones the container's parents
// must enable in cgroup.subtree_control. Devices and freezer are not
// controllers on v2 (eBPF and cgroup.freeze work everywhere).
func Needed(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	want := map[string]bool{}
	for _, c := range Controllers {
		if ws, err := renderers[c](r); err != nil || len(ws) > 0 {
			// A value Render refuses still needs its controller: the
			// caller learns of the error from Render.
			want[c] = true
		}
	}
	for k := range r.Unified {
		if c, _, ok := strings.Cut(k, "."); ok {
			want[c] = true
		}
	}
	var out []string
	for _, c := range Controllers {
		if want[c] {
			out = append(out, c)
		}
	}
	return out
}

func w(field, file, value string) cgfile.Write {
	return cgfile.Write{File: file, Value: value, Field: "linux.resources." + field}
}

// optional marks a write the kernel may lack the file for without harm
// (hugetlb reservation limits before 5.7, cpu.max.burst before 5.14, a
// swap limit of max or 0 without swap accounting): cgfile.Apply skips it
// there instead of failing.
func optional(x cgfile.Write) cgfile.Write {
	x.Optional = true
	return x
}

func fieldErr(f, format string, args ...any) error {
	return field.Errorf("linux.resources."+f, format, args...)
}
