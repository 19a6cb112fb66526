package fs2

import (
	"errors"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderMemory: limit -> memory.max, reservation -> memory.low, swap ->
// memory.swap.max (SwapToV2). 0 means unset, as runc and Docker use it; -1
// means no limit ("max").
//
// The v1-only fields are ignored, as runc ignores them on v2: kernel and
// kernelTCP (v2 accounts kernel memory in memory.max), swappiness (v2 has
// no per-cgroup swappiness), disableOOMKiller (no such switch on v2),
// useHierarchy (v2 is always hierarchical). checkBeforeUpdate needs the
// current usage: the manager checks it before applying the writes.
func renderMemory(r *specs.LinuxResources) ([]cgfile.Write, error) {
	m := r.Memory
	if m == nil {
		return nil, nil
	}
	limit, swap := value(m.Limit), value(m.Swap)
	var out []cgfile.Write
	v2swap, err := SwapToV2(swap, limit)
	if err != nil {
		err = fieldErr("memory.swap", "%v", err)
		if limit == 0 {
			// v1 takes a memsw limit alone (below its memory limit
			// the kernel refuses it)
			err = cgfile.Hierarchy(err)
		}
		return nil, err
	}
	switch {
	case v2swap == -1:
		// No file without swap accounting: then swap is not limited anyway.
		out = append(out, optional(w("memory.swap", "memory.swap.max", "max")))
	case v2swap == 0 && swap > 0:
		// swap == limit: no swap at all.
		out = append(out, optional(w("memory.swap", "memory.swap.max", "0")))
	case v2swap != 0:
		out = append(out, w("memory.swap", "memory.swap.max", strconv.FormatInt(v2swap, 10)))
	}
	if limit != 0 {
		out = append(out, w("memory.limit", "memory.max", maxOr(limit)))
	}
	if res := value(m.Reservation); res != 0 {
		out = append(out, w("memory.reservation", "memory.low", maxOr(res)))
	}
	return out, nil
}

// SwapToV2 converts the spec's swap (memory+swap, as v1's memsw) to v2's
// memory.swap.max (swap alone) as runc does; 0 means unset, -1 unlimited.
// An unlimited memory with swap unset makes swap unlimited too, as v1 did.
func SwapToV2(swap, limit int64) (int64, error) {
	switch {
	case limit == -1 && swap == 0:
		return -1, nil
	case swap == -1 || swap == 0:
		return swap, nil
	case limit == -1:
		// Unlimited memory: the total cannot be split, take it as swap.
		return swap, nil
	case limit == 0:
		return 0, errors.New("a swap limit needs a memory limit (swap counts memory+swap)")
	case limit < 0:
		return 0, fmt.Errorf("invalid memory limit %d", limit)
	case swap < limit:
		return 0, fmt.Errorf("%d is below the memory limit %d (swap counts memory+swap)", swap, limit)
	}
	return swap - limit, nil
}

func value(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// maxOr renders a limit, -1 being "max" as v1's -1 was.
func maxOr(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
