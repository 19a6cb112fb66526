package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/stats"
	"github.com/berth-runtime/berth/cgroups/systemd"
)

// NewSystemd returns the manager of the systemd unit a --systemd-cgroup
// cgroupsPath ("slice:prefix:name") names: a transient scope (or slice)
// that systemd makes, over D-Bus, with the container's first pid in it.
// Its directories are those systemd gives the unit on each hierarchy
// (under the user's manager's own cgroup when rootless), and berth writes
// the cgroup files there as the fs drivers do.
func NewSystemd(cgroupsPath string, rootless bool) (Manager, error) {
	u, err := systemd.ParseUnit(cgroupsPath, rootless)
	if err != nil {
		return nil, err
	}
	conn, err := systemd.Connect(rootless)
	if err != nil {
		return nil, err
	}
	cg, err := conn.ControlGroup()
	if err != nil {
		conn.Close()
		return nil, err
	}
	fsm, err := New(u.CgroupPath(cg))
	if err != nil {
		conn.Close()
		return nil, err
	}
	m := fsm.(fsDriver)
	// systemd makes and removes the unit's directories and its slices'
	// (berth removes only the leaf, and what systemd left of it). The map
	// records the unit once Apply has started it (unitKey).
	m.base().created = map[string]string{}
	return &sdManager{unit: u, rootless: rootless, fs: m, conn: conn}, nil
}

// unitKey, in Created(), names the unit Apply started: a key no hierarchy
// has. Created() is the map the caller records, so the entry reaches the
// state berth saves once the pid is known.
const unitKey = "systemd-unit"

// LoadSystemd returns the manager of a unit made earlier, with the
// directories recorded then; D-Bus is reached only when systemd is needed
// (update, delete), not to read the files (state, ps, events).
//
// Only a unit this container started is stopped on Destroy: when two
// creates race for one name, the loser's clean-up must leave the
// winner's unit alone.
func LoadSystemd(cgroupsPath string, rootless bool, paths, created map[string]string) (Manager, error) {
	u, err := systemd.ParseUnit(cgroupsPath, rootless)
	if err != nil {
		return nil, err
	}
	if created == nil {
		created = map[string]string{}
	}
	return &sdManager{
		unit: u, rootless: rootless, started: true, owned: created[unitKey] == u.Name,
		fs: driverFor(&manager{paths: paths, created: created}),
	}, nil
}

// sdManager is the systemd driver. systemd makes a scope only with a
// process in it, so the unit is started by Apply, with the nsenter stage's
// pid, and with the limits Set was given before (create sets them before
// any process is in the cgroup); the files are written right after, while
// the stage still waits, so the container's init never runs unlimited.
type sdManager struct {
	unit     systemd.Unit
	rootless bool
	fs       fsDriver
	conn     *systemd.Conn
	started  bool // the unit exists (or the create failed before it did)
	owned    bool // this container started it: Destroy stops it
	pending  []*specs.LinuxResources
}

func (m *sdManager) dbus() (*systemd.Conn, error) {
	if m.conn == nil {
		c, err := systemd.Connect(m.rootless)
		if err != nil {
			return nil, err
		}
		m.conn = c
	}
	return m.conn, nil
}

func (m *sdManager) host(c *systemd.Conn) systemd.Host {
	return systemd.Host{V2: m.fs.V2(), Version: c.Version()}
}

func (m *sdManager) Paths() map[string]string   { return m.fs.Paths() }
func (m *sdManager) Created() map[string]string { return m.fs.Created() }

// Create makes nothing: the unit cannot exist before its first process
// (Apply).
func (m *sdManager) Create() error { return nil }

func (m *sdManager) Apply(pid int) error {
	if m.started {
		return m.fs.Apply(pid)
	}
	c, err := m.dbus()
	if err != nil {
		return err
	}
	h := m.host(c)
	props := systemd.UnitProperties(m.unit, pid, h)
	for _, r := range m.pending {
		rp, err := systemd.ResourceProperties(r, h)
		if err != nil {
			return err
		}
		props = append(props, rp...)
	}
	if err := c.Start(m.unit.Name, props); err != nil {
		return err
	}
	m.started, m.owned = true, true
	m.fs.Created()[unitKey] = m.unit.Name
	// On v1, systemd makes the unit's directory only in the hierarchies
	// it manages; the others (cpuset, freezer, net_cls, ...) are berth's.
	if err := m.fs.Create(); err != nil {
		return err
	}
	if err := m.fs.Apply(pid); err != nil {
		return err
	}
	for _, r := range m.pending {
		if err := m.fs.Set(r); err != nil {
			return err
		}
	}
	m.pending = nil
	return nil
}

func (m *sdManager) Check(r *specs.LinuxResources) error { return m.fs.Check(r) }

// Set gives systemd the properties it has for r, then writes the files
// (all of r: systemd rounds some values, and has no property for others).
// Before the unit is started, r waits for Apply.
func (m *sdManager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.Check(r); err != nil {
		return err
	}
	if !m.started {
		m.pending = append(m.pending, r)
		return nil
	}
	// A limit below the usage is refused before systemd applies it (it
	// would reclaim, or OOM-kill, at once).
	if dir, usage := m.memoryUsageFile(); dir != "" {
		if err := checkMemoryUpdate(dir, usage, r.Memory); err != nil {
			return err
		}
	}
	c, err := m.dbus()
	if err != nil {
		return err
	}
	props, err := systemd.ResourceProperties(r, m.host(c))
	if err != nil {
		return err
	}
	if err := c.Set(m.unit.Name, props); err != nil {
		return err
	}
	return m.fs.Set(r)
}

func (m *sdManager) memoryUsageFile() (dir, file string) { return m.fs.MemoryUsageFile() }

// Destroy stops the unit (systemd kills what is left in it and removes
// its directories) and resets it if it failed, so that no unit is left;
// then removes what systemd did not make (v1 hierarchies it does not
// manage, sub-cgroups on old versions).
func (m *sdManager) Destroy() error {
	if !m.owned {
		// Not started by this container: systemd made nothing for it, and
		// berth makes its directories only once the unit is there.
		return nil
	}
	var errs []error
	c, err := m.dbus()
	if err == nil {
		err = c.Stop(m.unit.Name)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if err := m.fs.Destroy(); err != nil {
		errs = append(errs, err)
	}
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
	return errors.Join(errs...)
}

func (m *sdManager) Pids() ([]int, error)                      { return m.fs.Pids() }
func (m *sdManager) Freeze(frozen bool) error                  { return m.fs.Freeze(frozen) }
func (m *sdManager) Frozen() bool                              { return m.fs.Frozen() }
func (m *sdManager) Kill() (bool, error)                       { return m.fs.Kill() }
func (m *sdManager) Join(pid int, sub map[string]string) error { return m.fs.Join(pid, sub) }
func (m *sdManager) Stats() (*stats.Stats, error)              { return m.fs.Stats() }
func (m *sdManager) OOMKills() (uint64, error)                 { return m.fs.OOMKills() }

// Unit is the systemd unit's name, for messages.
func (m *sdManager) Unit() string { return m.unit.Name }
