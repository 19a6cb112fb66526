package specconv

import (
	"errors"
	"fmt"
	"math"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// rlimitTypes maps the getrlimit(2) names to resource numbers (config.md
// "POSIX process": a name with no kernel interface MUST be an error).
// The numbers come from x/sys/unix, which has them per architecture.
var rlimitTypes = map[string]int{
	"RLIMIT_AS":         unix.RLIMIT_AS,
	"RLIMIT_CORE":       unix.RLIMIT_CORE,
	"RLIMIT_CPU":        unix.RLIMIT_CPU,
	"RLIMIT_DATA":       unix.RLIMIT_DATA,
	"RLIMIT_FSIZE":      unix.RLIMIT_FSIZE,
	"RLIMIT_LOCKS":      unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK":    unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE":   unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE":       unix.RLIMIT_NICE,
	"RLIMIT_NOFILE":     unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC":      unix.RLIMIT_NPROC,
	"RLIMIT_RSS":        unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO":     unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME":     unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK":      unix.RLIMIT_STACK,
}

// convertProcess resolves process (config.md "Process"). The spec makes it
// OPTIONAL until start, but create runs init up to the exec, so it needs it.
func convertProcess(c *configs.Config, p *specs.Process) error {
	if p == nil {
		return fieldErr("process", "missing")
	}
	steps := []func() error{
		func() error { return convertArgs(&c.Process, p) },
		func() error { return convertUser(&c.Process, p.User) },
		func() error { return convertRlimits(&c.Process, p.Rlimits) },
		func() error { return convertConsole(&c.Process, p) },
		func() error { return checkIOPriority(p.IOPriority) },
		func() error { return checkScheduler(p.Scheduler) },
		func() error { return checkCPUAffinity(p.ExecCPUAffinity) },
		func() error { return checkOOMScoreAdj(p.OOMScoreAdj) },
		func() error { return checkLabel("process.apparmorProfile", p.ApparmorProfile) },
		func() error { return checkLabel("process.selinuxLabel", p.SelinuxLabel) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	c.Process.NoNewPrivileges = p.NoNewPrivileges
	if err := checkCapabilities(p.Capabilities); err != nil {
		return err
	}
	c.Process.Capabilities = p.Capabilities
	c.Process.ApparmorProfile = p.ApparmorProfile
	c.Process.SelinuxLabel = p.SelinuxLabel
	c.Process.IOPriority = p.IOPriority
	c.Process.Scheduler = p.Scheduler
	c.Process.ExecCPUAffinity = p.ExecCPUAffinity
	c.OOMScoreAdj = p.OOMScoreAdj
	return nil
}

// checkCapabilities refuses what cannot be a capability name at all: an
// empty one, or one with a character no name has (a space, a control
// character, anything not ASCII), the sign of a broken config rather than
// of a newer kernel. A well-formed name berth or the kernel does not know
// is no error: runtime-spec 1.3 asks for a warning for what cannot be
// granted, and init gives it (capabilities.New), as runc does.
func checkCapabilities(caps *specs.LinuxCapabilities) error {
	if caps == nil {
		return nil
	}
	for _, set := range []struct {
		name  string
		names []string
	}{
		{"bounding", caps.Bounding},
		{"effective", caps.Effective},
		{"permitted", caps.Permitted},
		{"inheritable", caps.Inheritable},
		{"ambient", caps.Ambient},
	} {
		for i, n := range set.names {
			f := idx("process.capabilities."+set.name, i)
			if n == "" {
				return fieldErr(f, "empty capability name")
			}
			for _, r := range n {
				if r <= ' ' || r > '~' {
					return fieldErr(f, "%q is not a capability name (CAP_ and letters, digits, _)", n)
				}
			}
		}
	}
	return nil
}

// checkLabel refuses a security label init could not write to
// /proc/self/attr: a NUL byte would cut it short, a newline or other
// control character is no profile or context name.
func checkLabel(field, s string) error {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return fieldErr(field, "%q contains a control character", s)
		}
	}
	return nil
}

// convertArgs checks args, env and cwd: what execve(2) and chdir(2) take.
func convertArgs(cp *configs.Process, p *specs.Process) error {
	// config.md "Process": at least one args entry is REQUIRED (non-Windows).
	if len(p.Args) == 0 {
		return fieldErr("process.args", "missing (at least one entry is required)")
	}
	if p.Args[0] == "" {
		return fieldErr("process.args[0]", "empty")
	}
	if err := checkStrings("process.args", p.Args); err != nil {
		return err
	}
	for i, kv := range p.Env {
		name, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return fieldErr(idx("process.env", i), "%q is not NAME=value", kv)
		case name == "":
			return fieldErr(idx("process.env", i), "%q has an empty name", kv)
		}
		if err := checkNUL(kv); err != nil {
			return &FieldError{Field: idx("process.env", i), Err: err}
		}
	}
	// config.md "Process": cwd is REQUIRED and MUST be absolute. That it is
	// inside the rootfs is for init to check, once it can resolve it.
	cwd, err := absPath("process.cwd", p.Cwd)
	if err != nil {
		return err
	}
	cp.Args = p.Args
	cp.Env = p.Env
	cp.Cwd = cwd
	return nil
}

// convertUser copies the POSIX user. user.username is defined only for
// Windows (config.md "Windows User"); runc ignores it on Linux, and so does
// berth: the uid and gid are what a Linux process runs as.
func convertUser(cp *configs.Process, u specs.User) error {
	if u.Umask != nil && *u.Umask > 0o777 {
		return fieldErr("process.user.umask", "%#o out of range (at most 0777)", *u.Umask)
	}
	cp.UID = u.UID
	cp.GID = u.GID
	cp.AdditionalGids = u.AdditionalGids
	cp.Umask = u.Umask
	return nil
}

func convertRlimits(cp *configs.Process, rlimits []specs.POSIXRlimit) error {
	seen := map[string]int{}
	for i, r := range rlimits {
		field := idx("process.rlimits", i)
		t, ok := rlimitTypes[r.Type]
		if !ok {
			return fieldErr(field+".type", "unknown rlimit %q", r.Type)
		}
		// config.md "POSIX process": duplicated types MUST be an error.
		if j, dup := seen[r.Type]; dup {
			return fieldErr(field+".type", "duplicate rlimit %q (also process.rlimits[%d])", r.Type, j)
		}
		seen[r.Type] = i
		if r.Soft > r.Hard {
			// setrlimit(2) would fail EINVAL.
			return fieldErr(field, "soft limit %d is above hard limit %d", r.Soft, r.Hard)
		}
		cp.Rlimits = append(cp.Rlimits, configs.Rlimit{Type: t, Name: r.Type, Soft: r.Soft, Hard: r.Hard})
	}
	return nil
}

// convertConsole copies terminal and consoleSize, which runtimes MUST
// ignore without a terminal (config.md "Process").
func convertConsole(cp *configs.Process, p *specs.Process) error {
	cp.Terminal = p.Terminal
	if !p.Terminal || p.ConsoleSize == nil {
		return nil
	}
	// struct winsize holds unsigned shorts.
	if p.ConsoleSize.Width > math.MaxUint16 {
		return fieldErr("process.consoleSize.width", "%d out of range", p.ConsoleSize.Width)
	}
	if p.ConsoleSize.Height > math.MaxUint16 {
		return fieldErr("process.consoleSize.height", "%d out of range", p.ConsoleSize.Height)
	}
	cp.ConsoleWidth = uint16(p.ConsoleSize.Width)
	cp.ConsoleHeight = uint16(p.ConsoleSize.Height)
	return nil
}

// checkOOMScoreAdj checks the range /proc/PID/oom_score_adj accepts.
func checkOOMScoreAdj(adj *int) error {
	if adj != nil && (*adj < -1000 || *adj > 1000) {
		return fieldErr("process.oomScoreAdj", "%d out of range [-1000, 1000]", *adj)
	}
	return nil
}

// checkIOPriority checks process.ioPriority (config.md "Linux Process"):
// ioprio_set(2) classes, with levels 0 (highest) to 7.
func checkIOPriority(p *specs.LinuxIOPriority) error {
	if p == nil {
		return nil
	}
	switch p.Class {
	case specs.IOPRIO_CLASS_RT, specs.IOPRIO_CLASS_BE, specs.IOPRIO_CLASS_IDLE:
	case "":
		return fieldErr("process.ioPriority.class", "missing")
	default:
		return fieldErr("process.ioPriority.class", "unknown class %q", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return fieldErr("process.ioPriority.priority", "%d out of range [0, 7]", p.Priority)
	}
	return nil
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]bool{
	specs.SchedOther: true, specs.SchedFIFO: true, specs.SchedRR: true,
	specs.SchedBatch: true, specs.SchedISO: true, specs.SchedIdle: true,
	specs.SchedDeadline: true,
}

var schedFlags = map[specs.LinuxSchedulerFlag]bool{
	specs.SchedFlagResetOnFork: true, specs.SchedFlagReclaim: true,
	specs.SchedFlagDLOverrun: true, specs.SchedFlagKeepPolicy: true,
	specs.SchedFlagKeepParams: true, specs.SchedFlagUtilClampMin: true,
	specs.SchedFlagUtilClampMax: true,
}

// checkScheduler checks process.scheduler (config.md "Linux Process")
// against what sched_setattr(2) accepts for the policy.
func checkScheduler(s *specs.Scheduler) error {
	if s == nil {
		return nil
	}
	const f = "process.scheduler"
	if s.Policy == "" {
		return fieldErr(f+".policy", "missing")
	}
	if !schedPolicies[s.Policy] {
		return fieldErr(f+".policy", "unknown policy %q", s.Policy)
	}
	for i, fl := range s.Flags {
		if !schedFlags[fl] {
			return fieldErr(idx(f+".flags", i), "unknown flag %q", fl)
		}
	}
	if s.Nice < -20 || s.Nice > 19 {
		return fieldErr(f+".nice", "%d out of range [-20, 19]", s.Nice)
	}
	realtime := s.Policy == specs.SchedFIFO || s.Policy == specs.SchedRR
	if realtime && (s.Priority < 1 || s.Priority > 99) {
		return fieldErr(f+".priority", "%d out of range [1, 99] for %s", s.Priority, s.Policy)
	}
	if !realtime && s.Priority != 0 {
		return fieldErr(f+".priority", "only SCHED_FIFO and SCHED_RR take a priority, not %s", s.Policy)
	}
	if s.Policy != specs.SchedDeadline && (s.Runtime != 0 || s.Deadline != 0 || s.Period != 0) {
		return fieldErr(f, "runtime, deadline and period are for SCHED_DEADLINE only, not %s", s.Policy)
	}
	return nil
}

// checkCPUAffinity checks process.execCPUAffinity: cpuset lists such as
// "0-3,7" (cpuset(7) "List format").
func checkCPUAffinity(a *specs.CPUAffinity) error {
	if a == nil {
		return nil
	}
	if err := checkCPUList(a.Initial); err != nil {
		return &FieldError{Field: "process.execCPUAffinity.initial", Err: err}
	}
	if err := checkCPUList(a.Final); err != nil {
		return &FieldError{Field: "process.execCPUAffinity.final", Err: err}
	}
	return nil
}

func checkCPUList(s string) error {
	if s == "" {
		return nil
	}
	for item := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parseCPU(lo)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		if !isRange {
			continue
		}
		b, err := parseCPU(hi)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		if a > b {
			return fmt.Errorf("%q: range %s is backwards", s, item)
		}
	}
	return nil
}

func parseCPU(s string) (int, error) {
	if s == "" || len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a cpu list (want e.g. 0-3,7)")
	}
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n, nil
}
