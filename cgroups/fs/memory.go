package fs

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/internal/field"
)

// renderMemory: v1's swap limit is memory+swap (memory.memsw), as the
// runtime-spec's swap is. Limit is written before memsw; cgfile.Apply's
// retry pass swaps the order when the kernel needs the other one (raising
// a limit above the current memsw).
func renderMemory(r *specs.LinuxResources) ([]cgfile.Write, error) {
	m := r.Memory
	if m == nil {
		return nil, nil
	}
	var out []cgfile.Write
	swap := nonZero(m.Swap)
	if l := nonZero(m.Limit); l != nil {
		out = append(out, w("memory.limit", "memory.limit_in_bytes", strconv.FormatInt(*l, 10)))
		// An unlimited memory with no swap given means unlimited swap too,
		// or the old memsw value would cap the new limit.
		if *l == -1 && swap == nil {
			unl := int64(-1)
			swap = &unl
		}
	}
	if swap != nil {
		if l := nonZero(m.Limit); l != nil && *l > 0 && *swap > 0 && *swap < *l {
			return nil, field.Errorf("linux.resources.memory.swap", "%d is below memory.limit %d (swap counts memory+swap)", *swap, *nonZero(m.Limit))
		}
		out = append(out, w("memory.swap", "memory.memsw.limit_in_bytes", strconv.FormatInt(*swap, 10)))
	}
	if v := nonZero(m.Reservation); v != nil {
		out = append(out, w("memory.reservation", "memory.soft_limit_in_bytes", strconv.FormatInt(*v, 10)))
	}
	if v := nonZero(m.Kernel); v != nil {
		out = append(out, optional(w("memory.kernel", "memory.kmem.limit_in_bytes", strconv.FormatInt(*v, 10))))
	}
	if v := nonZero(m.KernelTCP); v != nil {
		out = append(out, optional(w("memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes", strconv.FormatInt(*v, 10))))
	}
	if m.Swappiness != nil {
		// The spec's type is uint64, so -1 arrives as a huge number: treat
		// anything above 100 as "unset", as runc does for -1.
		if *m.Swappiness <= 100 {
			out = append(out, w("memory.swappiness", "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10)))
		} else if *m.Swappiness != ^uint64(0) {
			return nil, field.Errorf("linux.resources.memory.swappiness", "%d is not in 0..100", *m.Swappiness)
		}
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		out = append(out, w("memory.disableOOMKiller", "memory.oom_control", "1"))
	}
	if m.UseHierarchy != nil {
		out = append(out, w("memory.useHierarchy", "memory.use_hierarchy", boolValue(*m.UseHierarchy)))
	}
	return out, nil
}

// nonZero treats 0 as unset, as runc does: clients such as Docker send 0
// for every limit they do not set, and a 0 memory limit would kill the
// container.
func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
