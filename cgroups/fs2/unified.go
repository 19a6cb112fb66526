package fs2

import (
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderMisc: the spec has no typed field for the misc controller (misc.max
// and the like come through linux.resources.unified); Needed still lists
// "misc" when a unified key is one of its files, so it gets enabled.
func renderMisc(*specs.LinuxResources) ([]cgfile.Write, error) { return nil, nil }

// refusedKeys are files whose writes act on processes rather than set a
// resource: placing or killing the container's processes is the runtime's
// own job, done at its own time.
var refusedKeys = map[string]bool{"cgroup.procs": true, "cgroup.threads": true, "cgroup.kill": true}

// renderUnified writes linux.resources.unified (config-linux.md "Unified"):
// each key is a file of the container's cgroup written as given, after the
// typed fields so that it overrides them. Keys are "CONTROLLER.PARAMETER"
// file names, never paths (runc also refuses a '/'). A value of several
// lines (io.max for two devices) is written a line at a time, as the
// kernel reads one line per write. Keys go in name order, so the writes
// are the same from run to run.
func renderUnified(r *specs.LinuxResources) ([]cgfile.Write, error) {
	keys := make([]string, 0, len(r.Unified))
	for k := range r.Unified {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []cgfile.Write
	for _, k := range keys {
		field := "unified[" + strconv.Quote(k) + "]"
		switch {
		case strings.ContainsAny(k, "/\x00") || k == "." || k == "..":
			return nil, fieldErr(field, "must be a file name of the cgroup, not a path")
		case !strings.Contains(strings.Trim(k, "."), "."):
			return nil, fieldErr(field, "must be CONTROLLER.PARAMETER, such as memory.high")
		case refusedKeys[k]:
			return nil, fieldErr(field, "moves or kills processes; the runtime places the container's processes itself")
		}
		v := r.Unified[k]
		if !strings.Contains(strings.TrimRight(v, "\n"), "\n") {
			out = append(out, w(field, k, v))
			continue
		}
		for _, line := range strings.Split(v, "\n") {
			if line != "" {
				out = append(out, w(field, k, line))
			}
		}
	}
	return out, nil
}
