// Package intelrdt applies linux.intelRdt through the resctrl filesystem
// (Documentation/filesystems/resctrl.rst, config-linux.md "IntelRdt"): the
// container's processes join a group (a directory of the resctrl root,
// its "tasks" file), whose "schemata" file holds the cache and memory
// bandwidth allocation; a monitoring group under its mon_groups counts
// what they use. The root is found in the runtime's mount table, so a
// test can stand a directory in for it.
package intelrdt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/internal/mountinfo"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ErrNoResctrl means the runtime's mount namespace has no resctrl
// filesystem: the spec has the runtime fail then.
var ErrNoResctrl = errors.New("Intel RDT is not enabled: no resctrl filesystem is mounted (the CPU or kernel lacks Intel RDT / AMD PQoS, or it is not mounted: mount -t resctrl resctrl /sys/fs/resctrl)") //nolint:staticcheck // ST1005: runc's wording, which callers match

// Root returns where resctrl is mounted, from /proc/self/mountinfo.
func Root() (string, error) {
	return rootFrom("/proc/self/mountinfo")
}

func rootFrom(path string) (string, error) {
	infos, err := mountinfo.Read(path)
	if err != nil {
		return "", err
	}
	for _, in := range infos {
		if in.FSType == "resctrl" {
			return in.MountPoint, nil
		}
	}
	return "", ErrNoResctrl
}

// Manager is one container's resctrl group.
type Manager struct {
	Root string // the resctrl mount point
	ID   string // the container ID, which names the monitoring group
	Cfg  *configs.IntelRdt
}

// New finds resctrl and checks that it can do what cfg asks: a cache
// schema needs cache allocation (info/L3), a bandwidth one memory
// bandwidth allocation (info/MB). Errors name the config.json field.
func New(cfg *configs.IntelRdt, id string) (*Manager, error) {
	root, err := Root()
	if err != nil {
		return nil, fmt.Errorf("linux.intelRdt: %w", err)
	}
	m := &Manager{Root: root, ID: id, Cfg: cfg}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// Check refuses what this resctrl cannot do.
func (m *Manager) Check() error {
	if m.Cfg.L3CacheSchema != "" && !m.has("info/L3") {
		return errors.New("linux.intelRdt.l3CacheSchema: Intel RDT/CAT (L3 cache allocation) is not enabled: resctrl has no info/L3")
	}
	if m.Cfg.MemBwSchema != "" && !m.has("info/MB") {
		return errors.New("linux.intelRdt.memBwSchema: Intel RDT/MBA (memory bandwidth allocation) is not enabled: resctrl has no info/MB")
	}
	if m.Cfg.EnableMonitoring && !m.has("info/L3_MON") {
		return errors.New("linux.intelRdt.enableMonitoring: resctrl monitoring is not enabled: resctrl has no info/L3_MON")
	}
	return nil
}

func (m *Manager) has(p string) bool {
	_, err := os.Stat(filepath.Join(m.Root, p))
	return err == nil
}

// Path is the group's directory ("/" is the root group).
func (m *Manager) Path() string {
	if m.Cfg.ClosID == "/" {
		return m.Root
	}
	return filepath.Join(m.Root, m.Cfg.ClosID)
}

// MonPath is the container's monitoring group, or "" without one.
func (m *Manager) MonPath() string {
	if !m.Cfg.EnableMonitoring {
		return ""
	}
	return filepath.Join(m.Path(), "mon_groups", m.ID)
}

// Apply puts pid (and so its future children) in the group, made first
// when the config has schemata for it; a named group without schemata
// must exist already (it is someone else's, set up beforehand; runc
// requires the same). Then the schemata are written, and the monitoring
// group made and joined. It returns whether it made the group.
func (m *Manager) Apply(pid int) (made bool, err error) {
	path := m.Path()
	if path != m.Root {
		if len(m.Cfg.SchemataLines()) == 0 && !m.Cfg.OwnGroup {
			if _, err := os.Stat(path); err != nil {
				return false, fmt.Errorf("linux.intelRdt.closID %q: the group must exist when no schemata are given: %w", m.Cfg.ClosID, err)
			}
		}
		switch err := mkdirGroup(path); {
		case err == nil:
			made = true
		case errors.Is(err, os.ErrExist):
		default:
			return false, fmt.Errorf("linux.intelRdt: make group %s: %w", path, err)
		}
	}
	if err := m.Set(); err != nil {
		return made, err
	}
	if err := writeFile(path, "tasks", strconv.Itoa(pid)); err != nil {
		return made, fmt.Errorf("linux.intelRdt: %w", err)
	}
	if mon := m.MonPath(); mon != "" {
		if err := os.Mkdir(mon, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return made, fmt.Errorf("linux.intelRdt.enableMonitoring: make %s: %w", mon, err)
		}
		if err := writeFile(mon, "tasks", strconv.Itoa(pid)); err != nil {
			return made, fmt.Errorf("linux.intelRdt.enableMonitoring: %w", err)
		}
	}
	return made, nil
}

// Join puts pid (a process exec'd into the container) in the group and
// the monitoring group, which create has made.
func (m *Manager) Join(pid int) error {
	if err := writeFile(m.Path(), "tasks", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	if mon := m.MonPath(); mon != "" {
		if err := writeFile(mon, "tasks", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("linux.intelRdt.enableMonitoring: %w", err)
		}
	}
	return nil
}

// mkdirGroup makes a group; the kernel gives it its files and mon_groups.
// Tests stand in for the kernel here.
var mkdirGroup = func(path string) error { return os.Mkdir(path, 0o755) }

// Schemata is what Set writes to the group's schemata file: one write, so
// the kernel takes the lines together (last_cmd_status says what it
// refused), or "" for nothing to write.
func Schemata(cfg *configs.IntelRdt) string {
	lines := cfg.SchemataLines()
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// Set writes the schemata; with none it writes nothing (the spec forbids
// touching a schemata file then).
func (m *Manager) Set() error {
	s := Schemata(m.Cfg)
	if s == "" {
		return nil
	}
	if err := writeFile(m.Path(), "schemata", s); err != nil {
		if st, rerr := os.ReadFile(filepath.Join(m.Root, "info", "last_cmd_status")); rerr == nil {
			err = fmt.Errorf("%w (resctrl: %s)", err, strings.TrimSpace(string(st)))
		}
		return fmt.Errorf("linux.intelRdt: write schemata %q: %w", strings.TrimSpace(s), err)
	}
	return nil
}

// Destroy removes what the container made: its own group (which takes
// its monitoring groups with it), else its monitoring group. A named
// group may be shared and is left; the kernel moves the tasks of a
// removed group to the root group.
func (m *Manager) Destroy() error {
	p := m.MonPath()
	if m.Cfg.OwnGroup && m.Cfg.ClosID != "/" {
		p = m.Path()
	}
	if p == "" {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("linux.intelRdt: remove %s: %w", p, err)
	}
	return nil
}

// writeFile writes one value to a resctrl file in one write(2).
func writeFile(dir, name, v string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(v)); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	return f.Close()
}
