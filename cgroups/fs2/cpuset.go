package fs2

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderCpuset writes the lists as given: the kernel parses and checks
// them against the parent's effective sets.
func renderCpuset(r *specs.LinuxResources) ([]cgfile.Write, error) {
	c := r.CPU
	if c == nil {
		return nil, nil
	}
	var out []cgfile.Write
	if c.Cpus != "" {
		out = append(out, w("cpu.cpus", "cpuset.cpus", c.Cpus))
	}
	if c.Mems != "" {
		out = append(out, w("cpu.mems", "cpuset.mems", c.Mems))
	}
	return out, nil
}
