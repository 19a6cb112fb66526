package fs2

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderPids: as the v1 driver (cgfile.PidsMax).
func renderPids(r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil, nil
	}
	return []cgfile.Write{w("pids.limit", "pids.max", cgfile.PidsMax(*r.Pids.Limit))}, nil
}
