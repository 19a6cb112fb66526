package fs2

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderPids: a limit of 0 or less is "no limit" (config-linux.md "pids"),
// as the v1 driver reads it.
func renderPids(r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil, nil
	}
	v := "max"
	if *r.Pids.Limit > 0 {
		v = strconv.FormatInt(*r.Pids.Limit, 10)
	}
	return []cgfile.Write{w("pids.limit", "pids.max", v)}, nil
}
