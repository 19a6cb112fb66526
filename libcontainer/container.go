// Package libcontainer creates, starts, signals and destroys containers: the
// parent side of berth (create.go, spawn.go, sync_drive.go), which compiles the container's init into
// a plan (create_plan.go, exec_plan.go) that the C stage runs (nsenter/).
package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer/rootfs"
)

// Container is one container's state directory and what it holds.
type Container struct {
	ID    string
	Dir   string // <root>/<id>
	State *State

	// destroyed is set once Destroy has run the poststop hooks: a second
	// Destroy of the same container (run's clean-up after a start that
	// already destroyed it for a failing hook) must not run them again.
	destroyed bool
}

// Load reads a container's state. The error wraps ErrNotExist when there is
// no such container.
func Load(root, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	s, err := loadState(dir, id)
	if err != nil {
		return nil, err
	}
	return &Container{ID: id, Dir: dir, State: s}, nil
}

// List loads every container under root, sorted by ID. Entries whose state
// cannot be read are skipped (a create in progress has not written it yet).
func List(root string) ([]*Container, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Container
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		c, err := Load(root, e.Name())
		if err != nil {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Status is the container's live status.
func (c *Container) Status() string {
	return liveStatus(c.Dir, c.State)
}

// SpecState is the runtime-spec state of the container, as `state` prints
// it and hooks receive it.
func (c *Container) SpecState() *specs.State {
	st := &specs.State{
		Version:     c.State.OCIVersion,
		ID:          c.ID,
		Status:      specs.ContainerState(c.Status()),
		Bundle:      c.State.Bundle,
		Annotations: c.State.Annotations,
	}
	if st.Status != specs.StateStopped {
		st.Pid = c.State.Pid
	}
	return st
}

// Lock serialises commands on this container until the returned func runs.
func (c *Container) Lock() (func(), error) {
	f, err := lockDir(c.Dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", c.ID, ErrNotExist)
		}
		return nil, err
	}
	// Another command may have deleted or changed it while we waited.
	s, err := loadState(c.Dir, c.ID)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	c.State = s
	return func() { _ = f.Close() }, nil
}

// Signal sends sig to the container's init; with all, to every process of
// the container (its cgroup, or its pid namespace when init is its reaper).
func (c *Container) Signal(sig unix.Signal, all bool) error {
	st := c.Status()
	if all {
		// --all signals whatever is in the container's cgroup, also once
		// init has exited: a container without its own pid namespace keeps
		// its other processes then, and containerd's shim kills them with
		// `kill --all ID KILL` after init's exit (as runc allows).
		if err := c.signalEvery(sig); err != nil {
			return err
		}
		if st == Stopped {
			return nil
		}
		// init is in the cgroup and has had the signal with the rest: if
		// that killed it and its parent (containerd's shim) reaped it
		// already, it is gone, which is what the caller asked for. Saying
		// "not running" here makes the shim report "process already
		// finished" and `ctr task kill --all` fail.
		if err := signalPid(c.State.Pid, c.State.StartTime, sig); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		return nil
	}
	if sig == unix.SIGKILL && !c.ownPidNS() && len(c.State.CgroupPaths) > 0 {
		// SIGKILL to the init of a pid namespace kills the namespace
		// (pid_namespaces(7)); without one of its own (Docker --pid=host,
		// Kubernetes hostPID) the container's other processes would
		// outlive it. So, as runc, kill all of its cgroup, also once init
		// has exited.
		if st == Stopped && !c.cgroupExists() {
			return fmt.Errorf("%s: %w", c.ID, ErrNotRunning)
		}
		return c.signalAll(sig)
	}
	if st == Stopped {
		return fmt.Errorf("%s: %w", c.ID, ErrNotRunning)
	}
	return signalPid(c.State.Pid, c.State.StartTime, sig)
}

// cgroupExists says whether the container's cgroup is still there.
func (c *Container) cgroupExists() bool {
	for _, dir := range c.State.CgroupPaths {
		if _, err := os.Stat(dir); err == nil {
			return true
		}
	}
	return false
}

// ownPidNS says whether the container has a pid namespace of its own (not
// the host's, nor one it joined).
func (c *Container) ownPidNS() bool {
	p, ok := c.State.Config.NamespacePath("pid")
	return ok && p == ""
}

// signalPid signals pid through a pidfd after checking its start time, so a
// recycled pid never receives the signal.
func signalPid(pid int, start uint64, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if st, err := proc.StartTime(pid); err != nil || st != start {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("signal %d: %w", pid, err)
	}
	return nil
}

// waitGone waits until pid (with start time) has exited, up to timeout.
func waitGone(pid int, start uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for d := time.Millisecond; ; d = min(d*2, 50*time.Millisecond) {
		if !proc.Alive(pid, start) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(d)
	}
}

// Destroy removes a container: its processes are killed, its cgroups
// removed, poststop hooks run, and the state directory removed. Without
// force, a running or paused container is refused.
func (c *Container) Destroy(force bool) error {
	if c.destroyed {
		return nil
	}
	st := c.Status()
	// A created container's init waits on exec.fifo and the user's process
	// has never run: runc and crun kill it and delete it without --force,
	// and containerd's shim deletes a created container that way (a task
	// that is never started). runtime.md#delete reads "not stopped" as
	// refused; berth follows the runtimes its callers were written against.
	if st != Stopped && st != Created && !force {
		return fmt.Errorf("%s is %s: %w", c.ID, st, ErrRunning)
	}
	logs.Debugf("delete: %s is %s (force %v): kill, remove cgroups %v, run poststop hooks, remove %s", c.ID, st, force, c.State.CgroupPaths, c.Dir)
	if st == Paused {
		// A frozen task does not act on SIGKILL until thawed.
		_ = c.signalAll(unix.SIGKILL)
		if m := c.cgroupManager(); m != nil {
			_ = m.Freeze(false)
		}
	}
	if st != Stopped {
		_ = signalPid(c.State.Pid, c.State.StartTime, unix.SIGKILL)
		if !waitGone(c.State.Pid, c.State.StartTime, 10*time.Second) {
			return fmt.Errorf("%s: init %d did not die after SIGKILL", c.ID, c.State.Pid)
		}
	}
	// Without a pid namespace of its own, the container's other processes
	// outlive its init: the cgroup still holds them, and must be empty
	// before it can be removed.
	// If the list cannot be read, try to kill them all the same (signalAll
	// reads it again); what still runs then keeps the cgroups from being
	// removed, and delete fails instead of leaking them.
	// (A cgroup already gone was removed, empty, by an earlier delete.)
	pids, err := c.Pids()
	if errors.Is(err, os.ErrNotExist) {
		pids, err = nil, nil
	}
	if err != nil || len(pids) > 0 {
		if err := c.signalAll(unix.SIGKILL); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: kill the processes left in its cgroups: %w", c.ID, err)
		}
	}
	if err := c.destroyCgroups(); err != nil {
		return err
	}
	if err := c.destroyIntelRdt(); err != nil {
		return err
	}
	if err := c.unmountShared(); err != nil {
		return err
	}
	hookErr := c.runPoststop()
	c.destroyed = true
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("remove %s: %w", c.Dir, err)
	}
	if hookErr != nil {
		return &Warning{Err: hookErr}
	}
	return nil
}

// RemoveBroken removes a state directory that Load cannot read: one without
// state.json (a create killed before it wrote it), or, with force, one whose
// state.json is corrupt. Of a corrupt one nothing says which processes,
// cgroups or hooks it had: those are not touched, and the warning says so.
// Refusing would keep the ID taken for good.
func RemoveBroken(root, id string, force bool) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	dir := filepath.Join(root, id)
	// A create in progress holds the lock until it has written state.json.
	lock, err := lockDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", id, ErrNotExist)
		}
		return err
	}
	defer func() { _ = lock.Close() }()
	_, err = loadState(dir, id)
	switch {
	case err == nil:
		return fmt.Errorf("%s: its state was written while waiting for its lock: try again", id)
	case errors.Is(err, ErrCorrupt) && !force:
		return fmt.Errorf("%w (delete --force removes it)", err)
	case !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotExist):
		return err
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		return fmt.Errorf("remove %s: %w", dir, rerr)
	}
	if errors.Is(err, ErrCorrupt) {
		return &Warning{Err: fmt.Errorf("%s: removed %s, whose state.json was corrupt: its processes and cgroups, if it had any, are unknown and were left alone", id, dir)}
	}
	return nil
}

// runPoststop runs the poststop hooks; runtime-spec: a failing one is
// logged, the rest still run and delete goes on.
func (c *Container) runPoststop() error {
	h := c.State.Config.Hooks
	if h == nil || len(h.Poststop) == 0 {
		return nil
	}
	sp := c.SpecState()
	sp.Status = specs.StateStopped
	sp.Pid = 0
	stdin, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	var errs error
	for i, hook := range h.Poststop {
		if err := runHook(hook, stdin); err != nil {
			errs = errors.Join(errs, hookFailed("poststop", i, hook, err))
		}
	}
	return errs
}

// unmountShared removes the mounts of a container that had no mount
// namespace of its own: they were made in the host's.
func (c *Container) unmountShared() error {
	cfg := c.State.Config
	if cfg == nil {
		return nil
	}
	if _, ok := cfg.NamespacePath("mount"); ok {
		return nil
	}
	return rootfs.UnmountUnder(cfg.Rootfs)
}

// Warning is an error after which the command still succeeded: the caller
// logs it and exits 0.
type Warning struct{ Err error }

func (w *Warning) Error() string { return w.Err.Error() }
func (w *Warning) Unwrap() error { return w.Err }
