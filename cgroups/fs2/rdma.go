package fs2

import (
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderRdma writes one rdma.max line per device, "DEV hca_handle=N
// hca_object=M" with only the limits given, devices in name order so the
// writes are the same from run to run.
func renderRdma(r *specs.LinuxResources) ([]cgfile.Write, error) {
	devs := make([]string, 0, len(r.Rdma))
	for d := range r.Rdma {
		devs = append(devs, d)
	}
	slices.Sort(devs)
	var out []cgfile.Write
	for _, d := range devs {
		field := "rdma[" + strconv.Quote(d) + "]"
		if d == "" || strings.ContainsAny(d, " \t\n") {
			return nil, fieldErr(field, "not a device name")
		}
		l := r.Rdma[d]
		line := d
		if l.HcaHandles != nil {
			line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if line == d {
			continue
		}
		out = append(out, w(field, "rdma.max", line))
	}
	return out, nil
}
