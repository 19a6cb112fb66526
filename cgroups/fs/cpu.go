package fs

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderCPU writes the period before the quota and the rt period before
// the rt runtime; the kernel checks each against the other's current
// value, and cgfile.Apply retries whichever it refused first.
func renderCPU(r *specs.LinuxResources) ([]cgfile.Write, error) {
	c := r.CPU
	if c == nil {
		return nil, nil
	}
	var out []cgfile.Write
	if c.Shares != nil && *c.Shares != 0 {
		out = append(out, w("cpu.shares", "cpu.shares", strconv.FormatUint(*c.Shares, 10)))
	}
	if c.Period != nil && *c.Period != 0 {
		out = append(out, w("cpu.period", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10)))
	}
	if c.Quota != nil && *c.Quota != 0 {
		out = append(out, w("cpu.quota", "cpu.cfs_quota_us", strconv.FormatInt(*c.Quota, 10)))
	}
	if c.Burst != nil {
		out = append(out, optional(w("cpu.burst", "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10))))
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		out = append(out, w("cpu.realtimePeriod", "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10)))
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		out = append(out, w("cpu.realtimeRuntime", "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10)))
	}
	if c.Idle != nil {
		out = append(out, w("cpu.idle", "cpu.idle", strconv.FormatInt(*c.Idle, 10)))
	}
	return out, nil
}

func renderCpuset(r *specs.LinuxResources) ([]cgfile.Write, error) {
	c := r.CPU
	if c == nil {
		return nil, nil
	}
	var out []cgfile.Write
	if c.Cpus != "" {
		out = append(out, w("cpu.cpus", "cpuset.cpus", c.Cpus))
	}
	if c.Mems != "" {
		out = append(out, w("cpu.mems", "cpuset.mems", c.Mems))
	}
	return out, nil
}
