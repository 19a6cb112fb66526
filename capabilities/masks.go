package capabilities

import (
	"strings"

	"github.com/moby/sys/capability"
)

// Masks is a resolved process.capabilities as bit masks (bit n is
// capability n), for a process that applies them without this package:
// the C stage of exec (nsenter/attrs.c).
type Masks struct {
	Bounding, Effective, Permitted, Inheritable uint64
	// Ambient are raised one at a time (the kernel may refuse one), so
	// they keep their names for the warning.
	Ambient []Named
	// LastCap is the highest capability this kernel has.
	LastCap int
}

// Named is one capability, its number and its config.json name.
type Named struct {
	Num  int
	Name string
}

// Masks resolves the sets as New does; what New would warn about is in
// Warnings.
func (c *Caps) Masks() Masks {
	last, _ := capability.LastCap()
	m := Masks{LastCap: int(last)}
	mask := func(t capability.CapType) uint64 {
		var v uint64
		for _, cp := range c.sets[t] {
			v |= 1 << uint(cp)
		}
		return v
	}
	m.Bounding = mask(capability.BOUNDING)
	m.Effective = mask(capability.EFFECTIVE)
	m.Permitted = mask(capability.PERMITTED)
	m.Inheritable = mask(capability.INHERITABLE)
	for _, cp := range c.sets[capability.AMBIENT] {
		m.Ambient = append(m.Ambient, Named{Num: int(cp), Name: "CAP_" + strings.ToUpper(cp.String())})
	}
	return m
}
