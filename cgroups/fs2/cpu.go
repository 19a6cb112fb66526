package fs2

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderCPU converts the v1-shaped cpu fields to v2's files:
//   - shares -> cpu.weight (SharesToWeight);
//   - quota and period -> cpu.max, "QUOTA PERIOD", "max" for a negative
//     quota or none (v2 has one file for both, so a period alone is written
//     with an unlimited quota: an update of the period must give the quota
//     in force too); a quota alone is written alone, keeping the period;
//   - burst -> cpu.max.burst, before cpu.max: the kernel may refuse a burst
//     above the old quota, and cgfile.Apply retries it after cpu.max;
//   - idle -> cpu.idle, which makes cpu.weight meaningless (the kernel
//     refuses it while idle is 1), so the weight is then left out, as runc
//     does;
//   - the realtime fields are an error: v2 has no cpu.rt_* files (a
//     realtime group scheduler is a v1-only kernel feature).
func renderCPU(r *specs.LinuxResources) ([]cgfile.Write, error) {
	c := r.CPU
	if c == nil {
		return nil, nil
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		return nil, cgfile.Hierarchy(fieldErr("cpu.realtimeRuntime", "not supported on cgroup v2 (the kernel has no cpu.rt_runtime_us there)"))
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		return nil, cgfile.Hierarchy(fieldErr("cpu.realtimePeriod", "not supported on cgroup v2 (the kernel has no cpu.rt_period_us there)"))
	}
	var out []cgfile.Write
	idle := c.Idle != nil && *c.Idle != 0
	if c.Idle != nil {
		out = append(out, w("cpu.idle", "cpu.idle", strconv.FormatInt(*c.Idle, 10)))
	}
	if c.Shares != nil && *c.Shares != 0 && !idle {
		out = append(out, w("cpu.shares", "cpu.weight", strconv.FormatUint(SharesToWeight(*c.Shares), 10)))
	}
	if c.Burst != nil {
		out = append(out, optional(w("cpu.burst", "cpu.max.burst", strconv.FormatUint(*c.Burst, 10))))
	}
	quota := c.Quota != nil && *c.Quota != 0
	period := c.Period != nil && *c.Period != 0
	switch {
	case period:
		v := "max"
		if quota && *c.Quota > 0 {
			v = strconv.FormatInt(*c.Quota, 10)
		}
		out = append(out, w("cpu.period", "cpu.max", v+" "+strconv.FormatUint(*c.Period, 10)))
	case quota:
		// The quota alone: the kernel keeps the current period (100000
		// on a new cgroup) when cpu.max gets one number, so an update of
		// the quota does not reset a period set before.
		v := "max"
		if *c.Quota > 0 {
			v = strconv.FormatInt(*c.Quota, 10)
		}
		out = append(out, w("cpu.quota", "cpu.max", v))
	}
	return out, nil
}

// SharesToWeight maps v1 cpu.shares [2, 262144] linearly onto v2
// cpu.weight [1, 10000], runc's formula 1 + (shares-2)*9999/262142 (so the
// v1 default 1024 becomes 39). Shares outside the range are first clamped
// to it, as the v1 kernel clamps them.
func SharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + (shares-2)*9999/262142
}
