package capabilities

import (
	"strings"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Unknown names are ignored with a warning naming the set (runtime-spec
// 1.3: SHOULD NOT fail), and the known ones are kept.
func TestNewIgnoresUnknown(t *testing.T) {
	c, err := New(&specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN", "CAP_NOT_A_CAP"},
		Ambient:  []string{"chown"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.sets[capability.BOUNDING]); got != 1 {
		t.Errorf("bounding has %d capabilities, want 1", got)
	}
	w := c.Warnings()
	if len(w) != 2 || !strings.Contains(w[0], "process.capabilities.bounding") || !strings.Contains(w[0], "CAP_NOT_A_CAP") ||
		!strings.Contains(w[1], "process.capabilities.ambient") || !strings.Contains(w[1], "chown") {
		t.Errorf("warnings = %q", w)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings returned twice: %q", w)
	}
}
