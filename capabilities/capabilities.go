// Package capabilities maps capability names to numbers and applies the
// five sets of process.capabilities to the calling process.
package capabilities

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var byName = func() map[string]capability.Cap {
	m := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
}()

// Known lists every capability name berth knows, for `features`.
func Known() []string {
	out := make([]string, 0, len(byName))
	for _, c := range capability.ListKnown() {
		out = append(out, "CAP_"+strings.ToUpper(c.String()))
	}
	return out
}

// Valid reports whether name is a known capability name.
func Valid(name string) bool {
	_, ok := byName[name]
	return ok
}

func resolve(field string, names []string) ([]capability.Cap, error) {
	out := make([]capability.Cap, 0, len(names))
	last, _ := capability.LastCap()
	for i, n := range names {
		c, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("process.capabilities.%s[%d]: unknown capability %q", field, i, n)
		}
		// A capability the running kernel lacks cannot be granted; skip it
		// as runc does rather than fail on an older kernel.
		if c > last {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Caps is a resolved process.capabilities.
type Caps struct {
	sets map[capability.CapType][]capability.Cap
}

// New resolves the names of each set.
func New(c *specs.LinuxCapabilities) (*Caps, error) {
	out := &Caps{sets: map[capability.CapType][]capability.Cap{}}
	for _, s := range []struct {
		field string
		typ   capability.CapType
		names []string
	}{
		{"bounding", capability.BOUNDING, c.Bounding},
		{"effective", capability.EFFECTIVE, c.Effective},
		{"permitted", capability.PERMITTED, c.Permitted},
		{"inheritable", capability.INHERITABLE, c.Inheritable},
		{"ambient", capability.AMBIENT, c.Ambient},
	} {
		caps, err := resolve(s.field, s.names)
		if err != nil {
			return nil, err
		}
		out.sets[s.typ] = caps
	}
	return out, nil
}

// ApplyBounding drops every capability not in the bounding set. It must run
// while the process still has CAP_SETPCAP, before it changes user.
func (c *Caps) ApplyBounding() error {
	p, err := capability.NewPid2(0)
	if err != nil {
		return err
	}
	if err := p.Load(); err != nil {
		return err
	}
	p.Clear(capability.BOUNDING)
	p.Set(capability.BOUNDING, c.sets[capability.BOUNDING]...)
	if err := p.Apply(capability.BOUNDING); err != nil {
		return fmt.Errorf("apply bounding set: %w", err)
	}
	return nil
}

// ApplyRest sets effective, permitted and inheritable, then ambient (which
// needs its capabilities already permitted and inheritable). With
// keepAdmin, CAP_SYS_ADMIN stays effective and permitted on top, for a
// seccomp load without no_new_privs; a second call without it drops it.
func (c *Caps) ApplyRest(keepAdmin bool) error {
	p, err := capability.NewPid2(0)
	if err != nil {
		return err
	}
	if err := p.Load(); err != nil {
		return err
	}
	p.Clear(capability.CAPS | capability.AMBIENT)
	for _, t := range []capability.CapType{capability.EFFECTIVE, capability.PERMITTED, capability.INHERITABLE, capability.AMBIENT} {
		p.Set(t, c.sets[t]...)
	}
	if keepAdmin {
		p.Set(capability.EFFECTIVE|capability.PERMITTED, capability.CAP_SYS_ADMIN)
	}
	if err := p.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}
	if err := p.Apply(capability.AMBIENT); err != nil {
		return fmt.Errorf("apply ambient capabilities: %w", err)
	}
	return nil
}
