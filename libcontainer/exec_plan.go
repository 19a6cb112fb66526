package libcontainer

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/capabilities"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
	"github.com/berth-runtime/berth/seccomp"
)

// compileExecPlan turns the process of an exec into the plan the C stage
// runs (nsenter/exec.c) after joining the container: the process steps that
// create's plan ends with too (addProcessSteps), decided here.
// The warnings are what the parent says itself (capability names this
// kernel lacks); the C stage sends only what it learns at run time.
func compileExecPlan(cfg *configs.Config, preserve int) ([]byte, []string, error) {
	pl := plan.New()
	pl.Add(plan.OpSetsid, "process.terminal", plan.B(cfg.Process.Terminal))
	warnings, err := addProcessSteps(pl, cfg, preserve, planTail{})
	if err != nil {
		return nil, nil, err
	}
	b, err := pl.Bytes()
	return b, warnings, err
}

// planTail is what a create plan does around the last steps that an exec
// plan lacks: the wait on exec.fifo and the startContainer hooks.
type planTail struct {
	// listenPid: LISTEN_PID is init's pid (process.listenFDs, create).
	listenPid bool
	// afterReady runs right after ready, before the seccomp filter.
	afterReady func(*plan.Plan)
	// afterSeccomp runs right after the filter is loaded, before rlimits.
	afterSeccomp func(*plan.Plan)
}

// addProcessSteps appends the steps of the process itself, from the
// console to execve, that exec and create share, in runc's order.
func addProcessSteps(pl *plan.Plan, cfg *configs.Config, preserve int, tail planTail) ([]string, error) {
	p := &cfg.Process
	var warnings []string

	if p.Terminal {
		pl.Add(plan.OpConsole, "process.terminal", plan.U(uint64(p.UID)), plan.U(uint64(p.ConsoleWidth)), plan.U(uint64(p.ConsoleHeight)))
	}
	// process.oomScoreAdj is not a step: the parent writes it on the stage
	// before any namespace is joined (oomscore.go), since in a container's
	// user namespace the stage could no longer write its own.
	env, needHome := dedupEnv(p.Env)
	if tail.listenPid {
		env = withoutEnv(env, "LISTEN_PID")
	}
	pl.Add(plan.OpEnv, "process.env", strList(env)...)
	if needHome {
		// The container's /etc/passwd is read by the stage, as root,
		// before the user switch (it may be closed to process.user).
		pl.Add(plan.OpHome, "process.env", plan.U(uint64(p.UID)))
	}
	if tail.listenPid {
		pl.Add(plan.OpListenPid, "process.env")
	}
	pl.Add(plan.OpArgs, "process.args", strList(p.Args)...)
	path, _ := lookupEnv(env, "PATH")
	pl.Add(plan.OpLookPath, "process.args", plan.S(path))

	// Compiled here, so a profile the kernel or libseccomp cannot express
	// fails before anything runs; loaded by the stage as late as it can.
	filter, err := seccomp.Compile(p.Seccomp)
	if err != nil {
		return nil, err
	}
	var prog []byte
	var seccompFlags uint64
	if filter != nil {
		insns, flags, err := filter.Program()
		filter.Release()
		if err != nil {
			return nil, fmt.Errorf("linux.seccomp: %w", err)
		}
		prog, seccompFlags = bpfBytes(insns), flags
	}
	notify := seccompFlags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0

	// Capabilities the last steps need beyond the configured ones (a
	// filter loaded without no_new_privs needs CAP_SYS_ADMIN, raising a
	// limit CAP_SYS_RESOURCE): they are dropped right before execve.
	var keep uint64
	if prog != nil && !p.NoNewPrivileges {
		keep |= 1 << unix.CAP_SYS_ADMIN
	}
	if len(p.Rlimits) > 0 {
		keep |= 1 << unix.CAP_SYS_RESOURCE
	}
	if cfg.Personality != nil {
		pl.Add(plan.OpPersonality, "linux.personality", plan.U(uint64(*cfg.Personality)))
	}
	if err := addSchedAttrs(pl, cfg); err != nil {
		return nil, err
	}
	if mp := cfg.MemoryPolicy; mp != nil {
		var mask [nodemaskBits / 64]uint64
		for _, n := range mp.Nodes {
			if n < 0 || n >= nodemaskBits {
				return nil, fmt.Errorf("linux.memoryPolicy: node %d out of range", n)
			}
			mask[n/64] |= 1 << (n % 64)
		}
		pl.Add(plan.OpMemPolicy, "linux.memoryPolicy", append([]plan.Item{plan.U(uint64(mp.Mode | mp.Flags)), plan.S(mp.Desc)}, words(mask[:])...)...)
	}
	var masks *capabilities.Masks
	if p.Capabilities != nil {
		caps, err := capabilities.New(p.Capabilities)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, caps.Warnings()...)
		m := caps.Masks()
		masks = &m
		pl.Add(plan.OpCapBounding, "process.capabilities.bounding", plan.U(m.Bounding), plan.U(uint64(m.LastCap)))
	}
	// process.cwd as root first (a directory closed to the user), a
	// permission error retried as the user (root-squashing NFS).
	pl.Add(plan.OpCwd, "process.cwd", plan.S(p.Cwd), plan.U(0))
	groups := []plan.Item{plan.U(uint64(p.UID)), plan.U(uint64(p.GID)), plan.U(uint64(len(p.AdditionalGids)))}
	for _, g := range p.AdditionalGids {
		groups = append(groups, plan.U(uint64(g)))
	}
	pl.Add(plan.OpUser, "process.user", groups...)
	pl.Add(plan.OpCwd, "process.cwd", plan.S(p.Cwd), plan.U(1))
	if masks != nil {
		items := []plan.Item{plan.U(masks.Effective), plan.U(masks.Permitted), plan.U(masks.Inheritable), plan.U(keep), plan.U(uint64(len(masks.Ambient)))}
		for _, a := range masks.Ambient {
			items = append(items, plan.U(uint64(a.Num)), plan.S(a.Name))
		}
		pl.Add(plan.OpCaps, "process.capabilities", items...)
	}
	if p.NoNewPrivileges {
		pl.Add(plan.OpNoNewPrivs, "process.noNewPrivileges")
	}
	if p.Umask != nil {
		pl.Add(plan.OpUmask, "process.user.umask", plan.U(uint64(*p.Umask)))
	}
	pl.Add(plan.OpCloseFds, "--preserve-fds", plan.U(uint64(3+preserve)))
	if notify {
		// The listener must reach the agent through the parent, which
		// is gone after ready: load it now.
		pl.Add(plan.OpSeccomp, "linux.seccomp", plan.U(seccompFlags), plan.Raw(prog))
	}
	pl.Add(plan.OpReady, "ready")
	if tail.afterReady != nil {
		tail.afterReady(pl)
	}
	if prog != nil && !notify {
		pl.Add(plan.OpSeccomp, "linux.seccomp", plan.U(seccompFlags), plan.Raw(prog))
	}
	if tail.afterSeccomp != nil {
		tail.afterSeccomp(pl)
	}
	for i, r := range p.Rlimits {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("resource %d", r.Type)
		}
		pl.Add(plan.OpRlimit, fmt.Sprintf("process.rlimits[%d]", i), plan.U(uint64(r.Type)), plan.U(r.Soft), plan.U(r.Hard), plan.S(name))
	}
	if p.ApparmorProfile != "" {
		pl.Add(plan.OpExecLabel, "process.apparmorProfile", plan.U(plan.LabelAppArmor), plan.S(p.ApparmorProfile))
	}
	if p.SelinuxLabel != "" {
		pl.Add(plan.OpExecLabel, "process.selinuxLabel", plan.U(plan.LabelSELinux), plan.S(p.SelinuxLabel))
	}
	if masks != nil && keep != 0 {
		pl.Add(plan.OpDropKept, "process.capabilities")
	}
	pl.Add(plan.OpExecve, "process.args")
	return warnings, nil
}

// addSchedAttrs adds process.scheduler, process.ioPriority and
// process.execCPUAffinity: before the capabilities are dropped (a real-time
// policy needs CAP_SYS_NICE, the real-time I/O class CAP_SYS_ADMIN); execve
// keeps them.
func addSchedAttrs(pl *plan.Plan, cfg *configs.Config) error {
	p := &cfg.Process
	if s := p.Scheduler; s != nil {
		r := cfg.Resources
		cpusetLimited := r != nil && r.CPU != nil && r.CPU.Cpus != ""
		var flags uint64
		for _, f := range s.Flags {
			flags |= schedFlags[f]
		}
		pl.Add(plan.OpScheduler, "process.scheduler", plan.U(uint64(schedPolicies[s.Policy])), plan.U(flags),
			plan.I(int64(s.Nice)), plan.U(uint64(s.Priority)), plan.U(s.Runtime), plan.U(s.Deadline), plan.U(s.Period),
			plan.B(cpusetLimited), plan.S(string(s.Policy)))
	}
	if io := p.IOPriority; io != nil {
		prio := ioprioClasses[io.Class]<<13 | io.Priority
		pl.Add(plan.OpIOPrio, "process.ioPriority", plan.U(uint64(prio)), plan.S(fmt.Sprintf("%s %d", io.Class, io.Priority)))
	}
	if a := p.ExecCPUAffinity; a != nil {
		cpus := a.Final
		if cpus == "" {
			cpus = a.Initial
		}
		if cpus != "" {
			set, err := parseCPUSet(cpus)
			if err != nil {
				return fmt.Errorf("process.execCPUAffinity: %w", err)
			}
			w := make([]uint64, len(set))
			for i, v := range set {
				w[i] = uint64(v)
			}
			pl.Add(plan.OpAffinity, "process.execCPUAffinity", append([]plan.Item{plan.S(cpus)}, words(w)...)...)
		}
	}
	return nil
}

// withoutEnv drops name from env.
func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}

func strList(ss []string) []plan.Item {
	items := make([]plan.Item, 0, len(ss)+1)
	items = append(items, plan.U(uint64(len(ss))))
	for _, s := range ss {
		items = append(items, plan.S(s))
	}
	return items
}

func words(w []uint64) []plan.Item {
	items := make([]plan.Item, 0, len(w)+1)
	items = append(items, plan.U(uint64(len(w))))
	for _, v := range w {
		items = append(items, plan.U(v))
	}
	return items
}

// bpfBytes lays out a program as the kernel's struct sock_filter array.
func bpfBytes(prog []unix.SockFilter) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = binary.NativeEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.NativeEndian.AppendUint32(b, in.K)
	}
	return b
}
