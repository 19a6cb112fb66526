package libcontainer

import (
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/stats"
)

// Update writes the resource values r gives to the container's cgroups
// and records them in its state; fields r leaves out keep their values
// (a `docker update --pids-limit` must not touch memory).
func (c *Container) Update(r *specs.LinuxResources) error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	switch st := c.Status(); st {
	case Created, Running, Paused:
	default:
		return fmt.Errorf("%s is %s: %w", c.ID, st, ErrNotRunning)
	}
	m := c.cgroupManager()
	if m == nil {
		return fmt.Errorf("%s has no cgroups to update", c.ID)
	}
	// Device rules are not updated, as runc does not: v1 can only replace
	// its list by denying everything first, which a running container
	// would notice.
	if r != nil && len(r.Devices) > 0 {
		cp := *r
		cp.Devices = nil
		r = &cp
	}
	r = withPairs(r, c.State.Config.Resources)
	if err := m.Set(r); err != nil {
		return err
	}
	merged, err := mergeResources(c.State.Config.Resources, withoutZeros(r))
	if err != nil {
		return err
	}
	c.State.Config.Resources = merged
	return saveState(c.Dir, c.State)
}

// mergeResources lays src over dst: decoding src's JSON into a copy of
// dst replaces exactly the fields src sets (the spec's types omit unset
// pointers), keeping dst's others at every level.
func mergeResources(dst, src *specs.LinuxResources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if dst != nil {
		b, err := json.Marshal(dst)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, out); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(src)
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal(b, out)
}

// Stats reads the container's cgroup counters.
func (c *Container) Stats() (*stats.Stats, error) {
	m := c.cgroupManager()
	if m == nil {
		return nil, fmt.Errorf("%s has no cgroups", c.ID)
	}
	return m.Stats()
}

// OOMKills counts OOM kills in the container's memory cgroup.
func (c *Container) OOMKills() (uint64, error) {
	m := c.cgroupManager()
	if m == nil {
		return 0, fmt.Errorf("%s has no cgroups", c.ID)
	}
	return m.OOMKills()
}

// withoutZeros drops the zero values that Set treats as "unset" (as runc
// does: clients send 0 for every limit they leave), so that the recorded
// resources keep the values still in force.
func withoutZeros(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil {
		return nil
	}
	cp := *r
	zero := func(p *int64) *int64 {
		if p != nil && *p == 0 {
			return nil
		}
		return p
	}
	zeroU := func(p *uint64) *uint64 {
		if p != nil && *p == 0 {
			return nil
		}
		return p
	}
	if m := r.Memory; m != nil {
		mm := *m
		mm.Limit, mm.Reservation, mm.Swap, mm.Kernel, mm.KernelTCP = zero(m.Limit), zero(m.Reservation), zero(m.Swap), zero(m.Kernel), zero(m.KernelTCP)
		cp.Memory = &mm
	}
	if c := r.CPU; c != nil {
		cc := *c
		cc.Shares, cc.Period, cc.Quota = zeroU(c.Shares), zeroU(c.Period), zero(c.Quota)
		cc.RealtimePeriod, cc.RealtimeRuntime = zeroU(c.RealtimePeriod), zero(c.RealtimeRuntime)
		cp.CPU = &cc
	}
	// pids.limit 0 is not dropped: it is a limit (pids.max 1, as runc 1.5
	// writes it), not a client's "unset".
	return &cp
}

// withPairs completes an update of one value of a pair that cgroup v2
// keeps in one file or derives from the other: cpu.max holds quota and
// period, memory.swap.max is swap minus the memory limit. The missing half
// comes from the values in force, so `update --cpu-period` does not lift
// the quota and `update --memory` does not change the swap total.
func withPairs(r, cur *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || cur == nil {
		return r
	}
	cp := *r
	set := func(p *int64) bool { return p != nil && *p != 0 }
	setU := func(p *uint64) bool { return p != nil && *p != 0 }
	if c, k := r.CPU, cur.CPU; c != nil && k != nil {
		cc := *c
		if setU(c.Period) && !set(c.Quota) && set(k.Quota) {
			cc.Quota = k.Quota
		}
		if set(c.Quota) && !setU(c.Period) && setU(k.Period) {
			cc.Period = k.Period
		}
		cp.CPU = &cc
	}
	if m, k := r.Memory, cur.Memory; m != nil && k != nil {
		mm := *m
		if m.Limit != nil && *m.Limit == -1 && !set(m.Swap) {
			// Lifting the memory limit lifts memory+swap too (runc's
			// `update --memory -1`): on v1 the old memsw would otherwise
			// cap the process as before, and on v2 it keeps swap free.
			unl := int64(-1)
			mm.Swap = &unl
		}
		if set(m.Swap) && !set(m.Limit) && set(k.Limit) {
			mm.Limit = k.Limit
		}
		if set(m.Limit) && !set(mm.Swap) && set(k.Swap) {
			mm.Swap = k.Swap
		}
		cp.Memory = &mm
	}
	return &cp
}
