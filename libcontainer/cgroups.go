package libcontainer

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// makeCgroups makes the container's cgroups and sets their limits, before
// any process is in them: create does this while init's nsenter stage
// starts, and then only moves the stage's pid in (placeInCgroups), so init
// never runs unlimited and the two overlap. The pids limit is the one
// exception: setPidsLimit sets it once init is ready.
func (c *Container) makeCgroups() (cgroups.Manager, error) {
	cfg := c.State.Config
	m, err := newCgroupManager(cfg)
	if err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath %q: %w", cfg.CgroupsPath, err)
	}
	if err := m.Check(cfg.Resources); err != nil {
		return nil, err
	}
	if err := checkFresh(m); err != nil {
		return nil, err
	}
	// Record the paths first: if Create fails half-way, cleanup still finds
	// what it made.
	c.State.CgroupPaths, c.State.CgroupCreated = m.Paths(), m.Created()
	// And save them before making any: if berth is killed inside Create,
	// delete --force must still find the directories it made.
	if err := saveState(c.Dir, c.State); err != nil {
		return nil, err
	}
	if err := m.Create(); err != nil {
		return nil, err
	}
	return m, m.Set(withDefaultDevices(withoutPids(cfg.Resources)))
}

// withoutPids leaves out the pids limit, which counts the forks of berth's
// own start-up in the cgroup (the nsenter stage forks init into the new
// pid namespace): a limit as low as the spec allows (pids.limit 0 is
// pids.max 1, the container's init alone, as runc 1.5 has it) would fail
// create. runc too sets its limits once its init's forks are done.
func withoutPids(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || r.Pids == nil {
		return r
	}
	cp := *r
	cp.Pids = nil
	return &cp
}

// setPidsLimit sets the pids limit makeCgroups left out, once init is
// ready: no fork of berth's is left before the container's process runs.
func setPidsLimit(m cgroups.Manager, r *specs.LinuxResources) error {
	if m == nil || r == nil || r.Pids == nil {
		return nil
	}
	late := &specs.LinuxResources{Pids: r.Pids}
	if v, ok := r.Unified["pids.max"]; ok {
		// A unified key is written after the typed fields and wins
		// (config-linux.md "Unified"): again after this late write.
		late.Unified = map[string]string{"pids.max": v}
	}
	return m.Set(late)
}

// checkFresh refuses a cgroup that already holds processes or is frozen,
// in runc's words: its processes would share the container's limits and
// be killed with it, and a frozen init would hang create. It runs before
// the paths are saved, so that the failed create's clean-up leaves such a
// cgroup alone. As runc, one hierarchy speaks for all on v1.
func checkFresh(m cgroups.Manager) error {
	pids, err := m.Pids()
	if err != nil {
		return fmt.Errorf("read the container's cgroup: %w", err)
	}
	if len(pids) > 0 {
		return fmt.Errorf("container's cgroup is not empty: %d process(es) found", len(pids))
	}
	if m.Frozen() {
		return errors.New("container's cgroup unexpectedly frozen")
	}
	return nil
}

// withDefaultDevices appends configs.DefaultDeviceRules when the config restricts
// devices at all; a config without device rules leaves the device cgroup
// as the parent has it.
func withDefaultDevices(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || len(r.Devices) == 0 {
		return r
	}
	cp := *r
	cp.Devices = append(append([]specs.LinuxDeviceCgroup(nil), r.Devices...), configs.DefaultDeviceRules()...)
	return &cp
}

// newCgroupManager picks the driver: systemd's transient units with
// --systemd-cgroup, else berth's own directories.
func newCgroupManager(cfg *configs.Config) (cgroups.Manager, error) {
	if cfg.SystemdCgroup {
		return cgroups.NewSystemd(cfg.CgroupsPath, cfg.Rootless)
	}
	return cgroups.New(cfg.CgroupsPath)
}

func (c *Container) cgroupManager() cgroups.Manager {
	return loadCgroups(c.State)
}

// loadCgroups is the manager of the cgroups recorded in s (nil without).
func loadCgroups(s *State) cgroups.Manager {
	if len(s.CgroupPaths) == 0 {
		return nil
	}
	if cfg := s.Config; cfg != nil && cfg.SystemdCgroup {
		if m, err := cgroups.LoadSystemd(cfg.CgroupsPath, cfg.Rootless, s.CgroupPaths, s.CgroupCreated); err == nil {
			return m
		}
	}
	return cgroups.Load(s.CgroupPaths, s.CgroupCreated)
}

// destroyCgroups removes every cgroup directory berth made.
func (c *Container) destroyCgroups() error {
	if m := c.cgroupManager(); m != nil {
		return m.Destroy()
	}
	return nil
}

// signalAll signals every process in the container's cgroup.
func (c *Container) signalAll(sig unix.Signal) error {
	m := c.cgroupManager()
	if m == nil {
		return nil
	}
	if sig == unix.SIGKILL {
		if done, err := m.Kill(); done || err != nil {
			return err
		}
		// Freeze first so nothing forks while we go through the list.
		if err := m.Freeze(true); err == nil {
			defer func() { _ = m.Freeze(false) }()
		}
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	for _, p := range pids {
		_ = unix.Kill(p, sig)
	}
	return nil
}

func frozen(s *State) bool {
	if len(s.CgroupPaths) == 0 {
		return false
	}
	return loadCgroups(s).Frozen()
}

// Pids lists the host pids of the container's processes.
func (c *Container) Pids() ([]int, error) {
	m := c.cgroupManager()
	if m == nil {
		return nil, nil
	}
	return m.Pids()
}

// Pause freezes the container's cgroup.
func (c *Container) Pause() error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if st := c.Status(); st != Running && st != Created {
		return fmt.Errorf("%s is %s: %w", c.ID, st, ErrNotRunning)
	}
	m := c.cgroupManager()
	if m == nil {
		return fmt.Errorf("%s: no cgroup to freeze", c.ID)
	}
	return m.Freeze(true)
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if st := c.Status(); st != Paused {
		return fmt.Errorf("%s is %s, not paused", c.ID, st)
	}
	return c.cgroupManager().Freeze(false)
}

// joinCgroups places an exec'd process in the container's cgroups, or the
// sub-cgroups exec --cgroup named.
func (c *Container) joinCgroups(pid int, sub map[string]string) error {
	if m := c.cgroupManager(); m != nil {
		return m.Join(pid, sub)
	}
	if len(sub) > 0 {
		return fmt.Errorf("--cgroup: %s has no cgroups", c.ID)
	}
	return nil
}
