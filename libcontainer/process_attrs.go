package libcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// The scheduling attributes of process (config.md "Linux Process") and
// linux.personality. They run in init before the capabilities are dropped:
// a real-time policy needs CAP_SYS_NICE, the real-time I/O class
// CAP_SYS_ADMIN. They are inherited across execve.

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10,
	specs.SchedFlagUtilClampMin: 0x20, specs.SchedFlagUtilClampMax: 0x40,
}

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

func applyProcessAttrs(cfg *configs.Config) error {
	p := &cfg.Process
	if cfg.Personality != nil {
		if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, uintptr(*cfg.Personality), 0, 0); e != 0 {
			return fmt.Errorf("linux.personality: %w", e)
		}
	}
	if s := p.Scheduler; s != nil {
		r := cfg.Resources
		cpusetLimited := r != nil && r.CPU != nil && r.CPU.Cpus != ""
		attr := &unix.SchedAttr{
			Size:     unix.SizeofSchedAttr,
			Policy:   schedPolicies[s.Policy],
			Nice:     s.Nice,
			Priority: uint32(s.Priority),
			Runtime:  s.Runtime,
			Deadline: s.Deadline,
			Period:   s.Period,
		}
		for _, f := range s.Flags {
			attr.Flags |= schedFlags[f]
		}
		if err := unix.SchedSetAttr(0, attr, 0); err != nil {
			if errors.Is(err, unix.EPERM) && cpusetLimited {
				// SCHED_DEADLINE needs every CPU of the root
				// domain; runc's words, which clients match.
				return fmt.Errorf("process.scheduler (%s): process scheduler can't be used together with AllowedCPUs: %w", s.Policy, err)
			}
			return fmt.Errorf("process.scheduler (%s): %w", s.Policy, err)
		}
	}
	if io := p.IOPriority; io != nil {
		// ioprio_set(IOPRIO_WHO_PROCESS, 0, class<<13 | level)
		prio := ioprioClasses[io.Class]<<13 | io.Priority
		if _, _, e := unix.RawSyscall(unix.SYS_IOPRIO_SET, 1, 0, uintptr(prio)); e != 0 {
			return fmt.Errorf("process.ioPriority (%s %d): %w", io.Class, io.Priority, e)
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		// "initial" is for the runtime's own process before it joins the
		// container's cgroup, "final" for the container process after:
		// init is already in the cgroup, so the final set is what holds.
		cpus := a.Final
		if cpus == "" {
			cpus = a.Initial
		}
		if cpus != "" {
			set, err := parseCPUSet(cpus)
			if err != nil {
				return fmt.Errorf("process.execCPUAffinity: %w", err)
			}
			if err := unix.SchedSetaffinity(0, set); err != nil {
				return fmt.Errorf("process.execCPUAffinity %q: %w", cpus, err)
			}
		}
	}
	return nil
}

// parseCPUSet parses a CPU list (0-3,7) that specconv has already checked.
func parseCPUSet(s string) (*unix.CPUSet, error) {
	set := &unix.CPUSet{}
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("cpu list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("cpu list %q: %w", s, err)
			}
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	return set, nil
}
