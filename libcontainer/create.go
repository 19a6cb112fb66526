package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// CreateOpts are the inputs of Create.
type CreateOpts struct {
	Root   string // state root (--root)
	ID     string
	Bundle string // absolute bundle directory
	Config *configs.Config
	// PreserveFDs passes fds 3..3+N-1 of berth to the container.
	PreserveFDs int
	// ConsoleSocket receives the pty master (process.terminal). If empty
	// and the process has a terminal, Create returns the master in Console.
	ConsoleSocket string
	PidFile       string
	// Notify makes the directory of the container's notify socket
	// (AddNotifySocket has bound it into the container).
	Notify bool
	// Warn receives what does not fail the command but should be said
	// (a rootless container's cgroup limits that could not be applied).
	Warn func(msg string)
}

// CreateResult is what Create hands back.
type CreateResult struct {
	Container *Container
	// Console is the pty master when the caller must proxy it itself.
	Console *os.File
	// Child is true when init is berth's own child (no intermediate
	// process), so the caller can wait for it directly.
	Child bool
}

// Init's environment until its execve. envInitPipe is the one init reads:
// the fd of the sync socket, on which the C stage (nsenter/nsexec.c) reads
// its bootstrap; the other fds are named in the bootstrap (the plan pipe's,
// the log pipe's) or in the plan (the fifo's, the preserved ones). envID
// names the container, for whoever audits the host's processes (the tests'
// leak audit and kill -9 tests find a container's inits by it); nothing
// reads it, and the user's process gets its config's environment only.
const (
	envInitPipe = "_BERTH_INITPIPE"
	envID       = "_BERTH_ID"
)

// Create makes the container: state directory, init process in its
// namespaces, rootfs and everything else of config.json, up to the point
// where init waits on exec.fifo. On any error nothing is left behind.
func Create(o CreateOpts) (res *CreateResult, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	if err := checkLSM(o.Config); err != nil {
		return nil, err
	}
	if err := checkIntelRdt(o.Config, o.ID); err != nil {
		return nil, err
	}
	if err := checkUnprivileged(o.Config, false); err != nil {
		return nil, err
	}
	idmaps, err := planIDMaps(o.Config)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w%s", o.Root, err, rootHint(err))
	}
	dir := filepath.Join(o.Root, o.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w", o.ID, ErrExist)
		}
		return nil, fmt.Errorf("create state directory %s: %w%s", dir, err, rootHint(err))
	}
	lock, err := lockDir(dir)
	if err != nil {
		_ = os.Remove(dir)
		return nil, err
	}
	defer func() { _ = lock.Close() }()
	if o.Notify {
		if err := makeNotifyDir(dir); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}

	c := &Container{ID: o.ID, Dir: dir, State: &State{
		OCIVersion:  o.Config.Version,
		ID:          o.ID,
		Status:      Creating,
		Bundle:      o.Bundle,
		Rootfs:      o.Config.Rootfs,
		Created:     time.Now().UTC(),
		Owner:       "",
		Annotations: o.Config.Annotations,
		Config:      o.Config,
	}}
	sp := &spawner{o: o, c: c, idmaps: idmaps}
	defer func() {
		if err != nil {
			err = withCleanup(err, sp.cleanup())
			if isHookFailure(err) {
				if perr := c.runPoststop(); perr != nil {
					err = errors.Join(err, &Warning{Err: perr})
				}
			}
		}
	}()
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if err := sp.compileCreate(); err != nil {
		return nil, err
	}
	if err := sp.start(); err != nil {
		return nil, err
	}
	if err := sp.drive(); err != nil {
		return nil, err
	}
	c.State.Status = Created
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := WritePidFile(o.PidFile, c.State.Pid); err != nil {
			return nil, fmt.Errorf("--pid-file: %w", err)
		}
	}
	// The devices are the container's now: init holds the namespace.
	sp.netDevs.close()
	return &CreateResult{Container: c, Console: sp.console, Child: sp.child}, nil
}
