package libcontainer

import (
	"fmt"
	"os"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ExecOpts are the inputs of Exec.
type ExecOpts struct {
	Process       *configs.Process
	PreserveFDs   int
	ConsoleSocket string
	PidFile       string
	IgnorePaused  bool
	// SubCgroups are exec --cgroup's sub-cgroups (cgroups.ParseSubCgroups).
	SubCgroups map[string]string
	// Warn: as CreateOpts.Warn.
	Warn func(msg string)
}

// ExecResult is what Exec hands back.
type ExecResult struct {
	Pid int
	// Console is the pty master when the caller must proxy it itself.
	Console *os.File
	// Child: the process is berth's own child (see CreateResult.Child).
	Child bool
}

// nsFiles names each namespace type's file under /proc/<pid>/ns.
var nsFiles = map[string]string{
	"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc",
	"uts": "uts", "user": "user", "cgroup": "cgroup", "time": "time",
}

// Exec starts another process in a running container: it joins every
// namespace of the container's init (the user namespace first, in the
// nsenter stage), its cgroups, and applies the process's own settings.
func (c *Container) Exec(o ExecOpts) (*ExecResult, error) {
	st := c.Status()
	switch st {
	case Running, Created:
	case Paused:
		if !o.IgnorePaused {
			// The words runc uses: callers match them.
			return nil, fmt.Errorf("%s: cannot exec in a paused container (use --ignore-paused to override)", c.ID)
		}
	default:
		return nil, fmt.Errorf("%s is %s: %w", c.ID, st, ErrNotRunning)
	}
	if st == Created && os.Geteuid() != 0 {
		// Until start, init is not dumpable (it holds the runtime's fds),
		// and its /proc/<pid>/ns entries are then root's alone.
		return nil, fmt.Errorf("%s is created but not started: without root, exec has to wait for start (init's namespaces are not reachable before)", c.ID)
	}
	cfg := *c.State.Config
	cfg.Process = *o.Process
	if err := checkLSM(&cfg); err != nil {
		return nil, err
	}
	if err := checkUnprivileged(&cfg, true); err != nil {
		return nil, err
	}
	cfg.Hooks = nil
	cfg.UIDMappings, cfg.GIDMappings, cfg.TimeOffsets = nil, nil, nil
	cfg.Namespaces = nil
	for _, ns := range c.State.Config.Namespaces {
		path := fmt.Sprintf("/proc/%d/ns/%s", c.State.Pid, nsFiles[ns.Type])
		cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: ns.Type, Flag: ns.Flag, Path: path})
	}
	// The C stage runs the process's settings from a plan: no Go
	// runtime starts in the exec'd process.
	execPlan, warnings, err := compileExecPlan(&cfg, o.PreserveFDs)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		if o.Warn != nil {
			o.Warn(w)
		}
	}
	sp := &spawner{c: c, exec: true, plan: execPlan, subCgroups: o.SubCgroups, o: CreateOpts{
		ID:            c.ID,
		Bundle:        c.State.Bundle,
		Config:        &cfg,
		PreserveFDs:   o.PreserveFDs,
		ConsoleSocket: o.ConsoleSocket,
		Warn:          o.Warn,
	}}
	err = sp.start()
	if err == nil {
		err = sp.drive()
	}
	if err == nil && o.PidFile != "" {
		if err = WritePidFile(o.PidFile, sp.pid); err != nil {
			err = fmt.Errorf("--pid-file: %w", err)
		}
	}
	if err != nil {
		return nil, withCleanup(err, sp.cleanup())
	}
	return &ExecResult{Pid: sp.pid, Console: sp.console, Child: sp.child}, nil
}
