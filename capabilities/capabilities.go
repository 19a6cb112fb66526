// Package capabilities maps capability names to numbers and resolves the
// five sets of process.capabilities into the masks that init's plan
// carries (the C stage applies them, nsenter/caps.c).
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
	sets map[capability.CapType][]capability.Cap
	// warnings says what was ignored: unknown or unavailable names.
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

// Warnings returns what New ignored, once each (the ambient capabilities
// the kernel refuses at run time, the C stage reports itself).
func (c *Caps) Warnings() []string {
	w := c.warnings
	c.warnings = nil
	return w
}
