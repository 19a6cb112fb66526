package fs2

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderHugetlb sets hugetlb.SIZE.max and, where the kernel has it (5.7+),
// the same hugetlb.SIZE.rsvd.max: the spec's limit is "of reservations (if
// supported) or usage", and without the reservation limit a process could
// mmap more huge pages than the limit and be killed by SIGBUS at fault
// time instead of failing the mmap.
func renderHugetlb(r *specs.LinuxResources) ([]cgfile.Write, error) {
	var out []cgfile.Write
	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		if !cgfile.ValidPagesize(h.Pagesize) {
			return nil, fieldErr(field+".pageSize", "%q is not a size such as 2MB or 1GB", h.Pagesize)
		}
		v := strconv.FormatUint(h.Limit, 10)
		out = append(out, w(field, "hugetlb."+h.Pagesize+".max", v))
		out = append(out, optional(w(field, "hugetlb."+h.Pagesize+".rsvd.max", v)))
	}
	return out, nil
}
