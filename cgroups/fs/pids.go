package fs

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderPids: a negative limit is "no limit" (config-linux.md "pids").
func renderPids(r *specs.LinuxResources) ([]cgfile.Write, error) {
	// 0 is "unset", as in runc: clients send it for a limit they leave.
	if r.Pids == nil || r.Pids.Limit == nil || *r.Pids.Limit == 0 {
		return nil, nil
	}
	v := "max"
	if *r.Pids.Limit > 0 {
		v = strconv.FormatInt(*r.Pids.Limit, 10)
	}
	return []cgfile.Write{w("pids.limit", "pids.max", v)}, nil
}
