// Package cgroups places containers in their cgroups and removes them
// again. Each hierarchy has a driver behind Manager: v1Manager (v1 and
// hybrid hosts, v1.go), v2Manager (v2.go) and sdManager (systemd,
// systemd_manager.go), which writes files through one of the first two.
// driverFor, called by New and Load, is the only place that tells v1,
// hybrid and v2 apart; NewSystemd picks systemd.
package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// Manager is the container's cgroup on every hierarchy of the host.
type Manager interface {
	// Create makes the cgroup directories (ready for Set: limits can be
	// in force before any process is in the cgroup).
	Create() error
	// Apply moves pid into the cgroups Create made.
	Apply(pid int) error
	// Destroy removes the directories Create made (the cgroup must be empty).
	Destroy() error
	// Pids lists the processes in the container's cgroup.
	Pids() ([]int, error)
	// Paths maps each hierarchy key to the container's cgroup directory.
	Paths() map[string]string
	// Created maps each hierarchy key to the topmost directory Create had to
	// create (the leaf itself, or an ancestor that did not exist), which
	// Destroy removes too when it is empty.
	Created() map[string]string
	// Freeze freezes (true) or thaws (false) every process.
	Freeze(frozen bool) error
	// Frozen reports whether the cgroup is frozen.
	Frozen() bool
	// Kill SIGKILLs every process through cgroup.kill where the host has
	// it (false: it has not, signal each process).
	Kill() (bool, error)
	// Join places pid in the existing cgroups (exec), or in the existing
	// sub-cgroups sub names.
	Join(pid int, sub map[string]string) error
	// Check refuses, before Create, resources this host's hierarchies
	// cannot hold (Set checks them too).
	Check(r *specs.LinuxResources) error
	// Set writes the values r gives (and only those).
	Set(r *specs.LinuxResources) error
	// Stats reads the counters `events` reports.
	Stats() (*stats.Stats, error)
	// OOMKills counts OOM kills in the container's memory cgroup.
	OOMKills() (uint64, error)
}

// New returns the manager of cgroup path (absolute, or relative to the
// caller's own cgroup) on this host.
func New(path string) (Manager, error) {
	hs, err := Hierarchies()
	if err != nil {
		return nil, fmt.Errorf("read cgroup mounts: %w", err)
	}
	if len(hs) == 0 {
		return nil, errors.New("no cgroup filesystem mounted under /sys/fs/cgroup")
	}
	own, err := OwnCgroups("self")
	if err != nil {
		return nil, err
	}
	m := &manager{paths: map[string]string{}, created: map[string]string{}}
	for _, h := range hs {
		if _, ok := own[h.Key]; !ok {
			continue
		}
		p := path
		if !filepath.IsAbs(p) {
			p = filepath.Join(own[h.Key], p)
		}
		rel, err := filepath.Rel(h.Root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("cgroup %s lies outside the %s mount at %s", p, h.Fstype, h.MountPoint)
		}
		m.paths[h.Key] = filepath.Join(h.MountPoint, rel)
		if top := firstMissing(h.MountPoint, m.paths[h.Key]); top != "" {
			m.created[h.Key] = top
		}
		if h.Fstype == "cgroup2" {
			m.v2root = h.MountPoint
		}
	}
	return driverFor(m), nil
}

// fsDriver is a driver that writes the cgroup files itself: the systemd
// driver writes through one.
type fsDriver interface {
	Manager
	// V2 reports a pure cgroup v2 host.
	V2() bool
	// MemoryUsageFile is the file memory.checkBeforeUpdate compares with.
	MemoryUsageFile() (dir, file string)
	base() *manager
}

// driverFor picks the driver of the directories m holds: v2 where the
// unified hierarchy (key "") is the only one, else v1, which takes a
// hybrid host's unified directory along.
func driverFor(m *manager) fsDriver {
	if _, ok := m.paths[""]; ok && len(m.paths) == 1 {
		return &v2Manager{m}
	}
	return &v1Manager{m}
}

func (m *manager) base() *manager { return m }

// firstMissing is the topmost directory between root (exclusive) and dir
// (inclusive) that does not exist yet, or "".
func firstMissing(root, dir string) string {
	top := ""
	for d := dir; d != root && len(d) > len(root); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		top = d
	}
	return top
}

// Load returns the manager of directories recorded earlier.
func Load(paths, created map[string]string) Manager {
	return driverFor(&manager{paths: paths, created: created})
}

// manager is what the drivers share, placement and removal: on every
// hierarchy one directory with a cgroup.procs file.
type manager struct {
	paths   map[string]string
	created map[string]string
	v2root  string // mount point of the unified hierarchy, found on first use
}

func (m *manager) Paths() map[string]string   { return m.paths }
func (m *manager) Created() map[string]string { return m.created }

func (m *manager) Create() error {
	for key, dir := range m.paths {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		if hasController(key, "cpuset") {
			if err := inheritCpuset(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *manager) Apply(pid int) error {
	for key, dir := range m.paths {
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join cgroup %s (%s): %w", dir, keyName(key), err)
		}
	}
	return nil
}

func hasController(key, name string) bool {
	for _, c := range strings.Split(key, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// inheritCpuset fills an empty cpuset.cpus / cpuset.mems from the parent:
// a v1 cpuset cgroup starts empty and refuses tasks until both are set.
// Parents are filled first, up to the first one that has values.
func inheritCpuset(dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		v, err := cgfile.ReadString(dir, f)
		if err != nil {
			return err
		}
		if v != "" {
			continue
		}
		parent := filepath.Dir(dir)
		pv, err := cgfile.ReadString(parent, f)
		if err != nil {
			return err
		}
		if pv == "" {
			if err := inheritCpuset(parent); err != nil {
				return err
			}
			if pv, err = cgfile.ReadString(parent, f); err != nil {
				return err
			}
		}
		if err := writeFile(dir, f, pv); err != nil {
			return fmt.Errorf("write %s/%s: %w", dir, f, err)
		}
	}
	return nil
}

func keyName(key string) string {
	if key == "" {
		return "unified"
	}
	return key
}

// Destroy removes the directories, retrying while the kernel still counts
// exiting processes in them (rmdir says EBUSY for a moment after a kill).
func (m *manager) Destroy() error {
	var errs []error
	for key, dir := range m.paths {
		if err := rmdirRetry(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		// Intermediate directories berth made for a nested cgroupsPath go
		// too, unless another container still uses them (ENOTEMPTY/EBUSY).
		top := m.created[key]
		for d := filepath.Dir(dir); top != "" && top != dir && strings.HasPrefix(d, top); d = filepath.Dir(d) {
			if unix.Rmdir(d) != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func rmdirRetry(dir string) error {
	var err error
	for d := time.Millisecond; d < 2*time.Second; d *= 2 {
		err = removeTree(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(d)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

// removeTree removes dir and any sub-cgroups (made by exec --cgroup or by
// the container itself), deepest first. cgroup directories hold only
// kernel files, which rmdir takes with them.
func removeTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return unix.Rmdir(dir)
}

func (m *manager) Pids() ([]int, error) {
	for _, dir := range m.paths {
		return readPids(dir)
	}
	return nil, nil
}

// readPids reads cgroup.procs of dir and its sub-cgroups. A cgroup that
// vanishes on the way (a delete racing this) has no processes.
func readPids(dir string) ([]int, error) {
	var out []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := cgfile.ReadString(p, "cgroup.procs")
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(b) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
		return nil
	})
	return out, err
}

// writeFile is cgfile.WriteFile: one write(2) per value.
var writeFile = cgfile.WriteFile
