package systemd

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	dbus "github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/fs2"
)

// infinity is systemd's USEC_INFINITY / CGROUP_LIMIT_MAX: "no limit".
const infinity = uint64(math.MaxUint64)

// defaultPeriod is the kernel's CFS period (100 ms), on v1 and v2 alike.
const defaultPeriod = 100000

func prop(name string, v any) sd.Property {
	return sd.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// Host says what the properties are for: the host's hierarchy (systemd
// has other names for the v1 controllers' values) and systemd's version
// (older ones refuse properties they do not know, and fail the unit).
type Host struct {
	V2      bool
	Version int
}

// UnitProperties are the properties of the unit itself: where it goes,
// that the container's cgroup is delegated (systemd leaves what is below
// it, and the files berth writes, alone), accounting on (the files berth
// writes and reads exist), and pid in it.
func UnitProperties(u Unit, pid int, h Host) []sd.Property {
	ps := []sd.Property{sd.PropDescription("berth container " + u.Name)}
	if u.IsSlice() {
		ps = append(ps, sd.PropWants(u.Slice))
	} else {
		ps = append(ps, sd.PropSlice(u.Slice), prop("Delegate", true))
	}
	if pid > 0 {
		ps = append(ps, prop("PIDs", []uint32{uint32(pid)}))
	}
	io := "IOAccounting"
	if !h.V2 {
		io = "BlockIOAccounting"
	}
	return append(ps,
		prop("MemoryAccounting", true), prop("CPUAccounting", true),
		prop(io, true), prop("TasksAccounting", true),
		// No implicit dependencies: stopping the unit at shutdown must not
		// wait on, or pull in, anything of the host's.
		prop("DefaultDependencies", false))
}

// ResourceProperties maps the resources systemd has properties for; the
// cgroup files are written as well (systemd's rounding, and the values it
// has no property for), but the properties keep a daemon-reload from
// putting systemd's own values back.
func ResourceProperties(r *specs.LinuxResources, h Host) ([]sd.Property, error) {
	if r == nil {
		return nil, nil
	}
	var ps []sd.Property
	if m := r.Memory; m != nil {
		mp, err := memoryProperties(m, h)
		if err != nil {
			return nil, err
		}
		ps = append(ps, mp...)
	}
	if c := r.CPU; c != nil {
		cp, err := cpuProperties(c, h)
		if err != nil {
			return nil, err
		}
		ps = append(ps, cp...)
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		ps = append(ps, prop("TasksMax", tasksMax(*r.Pids.Limit)))
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight > 0 {
		if h.V2 {
			ps = append(ps, prop("IOWeight", fs2.BlkioToIOWeight(*b.Weight)))
		} else {
			ps = append(ps, prop("BlockIOWeight", uint64(*b.Weight)))
		}
	}
	if len(r.Devices) > 0 {
		ps = append(ps, DeviceProperties(r.Devices, h.Version)...)
	}
	up, err := unifiedProperties(r.Unified, h)
	if err != nil {
		return nil, err
	}
	return append(ps, up...), nil
}

// limit is a spec value as systemd's: -1 is infinity.
func limit(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

// tasksMax is pids.limit as TasksMax, with the pids.max berth writes (0 is
// 1: the container's init alone, see cgfile.PidsMax).
func tasksMax(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return max(uint64(v), 1)
}

func memoryProperties(m *specs.LinuxMemory, h Host) ([]sd.Property, error) {
	var ps []sd.Property
	lim := int64(0)
	if m.Limit != nil {
		lim = *m.Limit
	}
	if lim != 0 {
		name := "MemoryMax"
		if !h.V2 {
			name = "MemoryLimit"
		}
		ps = append(ps, prop(name, limit(lim)))
	}
	if m.Reservation != nil && *m.Reservation != 0 && h.V2 {
		ps = append(ps, prop("MemoryLow", limit(*m.Reservation)))
	}
	if h.V2 {
		swap := int64(0)
		if m.Swap != nil {
			swap = *m.Swap
		}
		s, err := fs2.SwapToV2(swap, lim)
		if err != nil {
			return nil, fmt.Errorf("linux.resources.memory.swap: %w", err)
		}
		if s != 0 || (m.Swap != nil && *m.Swap != 0) {
			ps = append(ps, prop("MemorySwapMax", limit(s)))
		}
	}
	return ps, nil
}

func cpuProperties(c *specs.LinuxCPU, h Host) ([]sd.Property, error) {
	var ps []sd.Property
	if c.Shares != nil && *c.Shares > 0 {
		if h.V2 {
			ps = append(ps, prop("CPUWeight", fs2.SharesToWeight(*c.Shares)))
		} else {
			ps = append(ps, prop("CPUShares", *c.Shares))
		}
	}
	quota, period := int64(0), uint64(0)
	if c.Quota != nil {
		quota = *c.Quota
	}
	if c.Period != nil {
		period = *c.Period
	}
	ps = append(ps, quotaProperties(quota, period, h)...)
	for _, x := range []struct{ field, val, name string }{
		{"linux.resources.cpu.cpus", c.Cpus, "AllowedCPUs"},
		{"linux.resources.cpu.mems", c.Mems, "AllowedMemoryNodes"},
	} {
		if x.val == "" || h.Version < 244 {
			continue // systemd before 244 has no such property: the file only
		}
		bits, err := RangeToBits(x.val)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", x.field, x.val, err)
		}
		ps = append(ps, prop(x.name, bits))
	}
	return ps, nil
}

// quotaProperties: systemd keeps a quota as CPU time per second of wall
// time, in whole percent of a CPU; a quota that is not a whole percent is
// rounded up to the next (as runc), so systemd's cpu.max never grants less
// than the container asked for. The exact quota goes to the file.
func quotaProperties(quota int64, period uint64, h Host) []sd.Property {
	var ps []sd.Property
	if period != 0 && h.Version >= 242 {
		ps = append(ps, prop("CPUQuotaPeriodUSec", period))
	}
	if quota == 0 && period == 0 {
		return ps
	}
	perSec := infinity
	if quota > 0 {
		if period == 0 {
			period = defaultPeriod
		}
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	return append(ps, prop("CPUQuotaPerSecUSec", perSec))
}

// unifiedProperties maps the linux.resources.unified keys systemd has a
// property for; the rest are only written to their files.
func unifiedProperties(u map[string]string, h Host) ([]sd.Property, error) {
	names := map[string]string{
		"memory.max": "MemoryMax", "memory.high": "MemoryHigh", "memory.low": "MemoryLow",
		"memory.min": "MemoryMin", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
	}
	var ps []sd.Property
	for _, k := range sortedKeys(u) {
		v := strings.TrimSpace(u[k])
		field := "linux.resources.unified." + k
		switch k {
		case "memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max", "pids.max":
			n := infinity
			if v != "max" {
				var err error
				if n, err = cgfile.ParseUint(v); err != nil {
					return nil, fmt.Errorf("%s: %q is not a number or max", field, v)
				}
			}
			ps = append(ps, prop(names[k], n))
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", field, v)
			}
			ps = append(ps, prop("CPUWeight", n))
		case "cpu.max":
			f := strings.Fields(v)
			if len(f) < 1 || len(f) > 2 {
				return nil, fmt.Errorf("%s: %q is not \"quota [period]\"", field, v)
			}
			quota, period := int64(0), uint64(defaultPeriod)
			if f[0] != "max" {
				q, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil || q <= 0 {
					return nil, fmt.Errorf("%s: quota %q is not a positive number or max", field, f[0])
				}
				quota = q
			}
			if len(f) == 2 {
				p, err := strconv.ParseUint(f[1], 10, 64)
				if err != nil || p == 0 {
					return nil, fmt.Errorf("%s: period %q is not a positive number", field, f[1])
				}
				period = p
			}
			ps = append(ps, quotaProperties(quota, period, h)...)
		}
	}
	return ps, nil
}

// RangeToBits turns a cpuset list ("0-2,7") into the bitmask systemd's
// AllowedCPUs / AllowedMemoryNodes take: byte i holds CPUs 8i..8i+7, the
// lowest in bit 0.
func RangeToBits(list string) ([]byte, error) {
	var out []byte
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("an empty element")
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", lo)
		}
		last := first
		if isRange {
			if last, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("%q is not a number", hi)
			}
		}
		if last < first {
			return nil, fmt.Errorf("range %q runs backwards", part)
		}
		for n := first; n <= last; n++ {
			for int(n/8) >= len(out) {
				out = append(out, 0)
			}
			out[n/8] |= 1 << (n % 8)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
