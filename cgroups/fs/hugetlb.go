package fs

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/internal/field"
)

// renderHugetlb sets the fault limit and, where the kernel has it (5.7+),
// the same reservation limit, so a reservation cannot dodge the limit.
func renderHugetlb(r *specs.LinuxResources) ([]cgfile.Write, error) {
	var out []cgfile.Write
	for i, h := range r.HugepageLimits {
		if !cgfile.ValidPagesize(h.Pagesize) {
			return nil, field.Errorf(field.Index("linux.resources.hugepageLimits", i)+".pageSize", "%q is not a size such as 2MB or 1GB", h.Pagesize)
		}
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		v := strconv.FormatUint(h.Limit, 10)
		out = append(out, w(field, "hugetlb."+h.Pagesize+".limit_in_bytes", v))
		out = append(out, optional(w(field, "hugetlb."+h.Pagesize+".rsvd.limit_in_bytes", v)))
	}
	return out, nil
}
