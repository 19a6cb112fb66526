package libcontainer

import (
	"errors"
	"fmt"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/intelrdt"
)

// linux.intelRdt in the container's life: checked before anything is
// made, applied to init once its pid is known (its children inherit the
// group), removed with the container, changed by update.

// checkIntelRdt refuses linux.intelRdt where the host cannot do it.
func checkIntelRdt(cfg *configs.Config, id string) error {
	if cfg.IntelRdt == nil {
		return nil
	}
	_, err := intelrdt.New(cfg.IntelRdt, id)
	return err
}

// applyIntelRdt puts init in its resctrl group (what it made is
// remembered for cleanup), or a process exec'd in in the container's.
func (sp *spawner) applyIntelRdt(pid int) error {
	cfg := sp.o.Config.IntelRdt
	if cfg == nil {
		return nil
	}
	m, err := intelrdt.New(cfg, sp.o.ID)
	if err != nil {
		return err
	}
	if sp.exec {
		// as runc: a process exec'd in is the container's in resctrl too
		return m.Join(pid)
	}
	sp.rdt = m
	_, err = m.Apply(pid)
	return err
}

// destroyIntelRdt removes the container's resctrl group (its own) or its
// monitoring group. Without resctrl (unmounted since) there is nothing
// left to remove.
func (c *Container) destroyIntelRdt() error {
	r := c.State.Config.IntelRdt
	if r == nil {
		return nil
	}
	root, err := intelrdt.Root()
	if errors.Is(err, intelrdt.ErrNoResctrl) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	return (&intelrdt.Manager{Root: root, ID: c.ID, Cfg: r}).Destroy()
}

// UpdateIntelRdt replaces the L3 cache or memory bandwidth schema of a
// container's group (update --l3-cache-schema / --mem-bw-schema), and
// rewrites its schemata.
func (c *Container) UpdateIntelRdt(l3, mb string) error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	switch st := c.Status(); st {
	case Created, Running, Paused:
	default:
		return fmt.Errorf("%s is %s: %w", c.ID, st, ErrNotRunning)
	}
	// As runc 1.5: what the host lacks first, then what the container does.
	if _, err := intelrdt.Root(); err != nil {
		what := "--l3-cache-schema: Intel RDT/CAT (L3 cache allocation)"
		if l3 == "" {
			what = "--mem-bw-schema: Intel RDT/MBA (memory bandwidth allocation)"
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if c.State.Config.IntelRdt == nil {
		return fmt.Errorf("%s has no linux.intelRdt: updating a non-existent Intel RDT configuration is not supported", c.ID)
	}
	r := *c.State.Config.IntelRdt
	if l3 != "" {
		r.L3CacheSchema = l3
	}
	if mb != "" {
		r.MemBwSchema = mb
	}
	m, err := intelrdt.New(&r, c.ID)
	if err != nil {
		return err
	}
	if err := m.Set(); err != nil {
		return err
	}
	c.State.Config.IntelRdt = &r
	return saveState(c.Dir, c.State)
}
