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

// resolve maps the names of one set to capabilities. runtime-spec 1.3
// (config.md "Linux Process") says a value that cannot be granted MUST be
// logged as a warning and SHOULD NOT fail the container, and runc ignores
// such names: an unknown name, and a known one this kernel lacks (an older
// kernel than the image was written for), are skipped and returned, for a
// warning.
func resolve(names []string) (caps []capability.Cap, ignored []string) {
	last, _ := capability.LastCap()
	caps = make([]capability.Cap, 0, len(names))
	for _, n := range names {
		c, ok := byName[n]
		if !ok || c > last {
			ignored = append(ignored, n)
			continue
		}
		caps = append(caps, c)
	}
	return caps, ignored
}

// Caps is a resolved process.capabilities.
type Caps struct {
	sets    map[capability.CapType][]capability.Cap
	kept    []capability.Cap
	applied capability.Capabilities
	// warnings says what was ignored: unknown or unavailable names, and
	// ambient capabilities the kernel would not raise.
	warnings []string
}

// New resolves the names of each set; names it cannot grant become
// Warnings, not errors.
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
		caps, ignored := resolve(s.names)
		if len(ignored) > 0 {
			out.warnings = append(out.warnings, fmt.Sprintf("process.capabilities.%s: ignoring unknown or unavailable capabilities %s",
				s.field, strings.Join(ignored, ", ")))
		}
		out.sets[s.typ] = caps
	}
	return out, nil
}

// Warnings returns what New and ApplyRest ignored, once each.
func (c *Caps) Warnings() []string {
	w := c.warnings
	c.warnings = nil
	return w
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
// needs its capabilities already permitted and inheritable). The names in
// keep stay effective and permitted on top, for work that must come after
// (a seccomp load without no_new_privs needs CAP_SYS_ADMIN, raising a
// limit CAP_SYS_RESOURCE); DropKept removes them.
func (c *Caps) ApplyRest(keep ...string) error {
	p, err := capability.NewPid2(0)
	if err != nil {
		return err
	}
	if err := p.Load(); err != nil {
		return err
	}
	// Only what the process has now can be kept (the host may lack it).
	var have []capability.Cap
	for _, n := range keep {
		if cp, ok := byName[n]; ok && p.Get(capability.PERMITTED, cp) {
			have = append(have, cp)
		}
	}
	p.Clear(capability.CAPS)
	for _, t := range []capability.CapType{capability.EFFECTIVE, capability.PERMITTED, capability.INHERITABLE} {
		p.Set(t, c.sets[t]...)
	}
	c.kept = c.kept[:0]
	for _, cp := range have {
		if !p.Get(capability.PERMITTED, cp) {
			p.Set(capability.EFFECTIVE|capability.PERMITTED, cp)
			c.kept = append(c.kept, cp)
		}
	}
	if err := p.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}
	c.applied = p
	return c.raiseAmbient()
}

// raiseAmbient raises the ambient capabilities one at a time. The kernel
// refuses one that is not both permitted and inheritable (capabilities(7)),
// and runtime-spec 1.3 asks for a warning, not a failure, for what cannot
// be granted: a refused one is skipped and the rest are still raised.
func (c *Caps) raiseAmbient() error {
	if err := capability.ResetAmbient(); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	var refused []string
	for _, cp := range c.sets[capability.AMBIENT] {
		if err := capability.SetAmbient(true, cp); err != nil {
			refused = append(refused, fmt.Sprintf("CAP_%s (%v)", strings.ToUpper(cp.String()), err))
		}
	}
	if len(refused) > 0 {
		c.warnings = append(c.warnings, "process.capabilities.ambient: cannot raise "+strings.Join(refused, ", "))
	}
	return nil
}

// DropKept removes what ApplyRest kept beyond the configured sets. It reads
// nothing and allocates nothing: it runs at the very end, under the
// container's own limits.
func (c *Caps) DropKept() error {
	if len(c.kept) == 0 || c.applied == nil {
		return nil
	}
	c.applied.Unset(capability.EFFECTIVE|capability.PERMITTED, c.kept...)
	if err := c.applied.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("drop capabilities kept for set-up: %w", err)
	}
	c.kept = nil
	return nil
}
