package specconv

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func rdt(r specs.LinuxIntelRdt) func(*specs.Spec, *Options) {
	return func(s *specs.Spec, _ *Options) { s.Linux.IntelRdt = &r }
}

func wantRdt(clos string, mon bool, lines ...string) func(*testing.T, *configs.Config) {
	return func(t *testing.T, c *configs.Config) {
		r := c.IntelRdt
		if r == nil || r.ClosID != clos || r.EnableMonitoring != mon || !slices.Equal(r.SchemataLines(), lines) {
			t.Errorf("IntelRdt = %+v, want closID %q monitoring %v schemata %q", r, clos, mon, lines)
		}
	}
}

func TestIntelRdt(t *testing.T) {
	const f = "linux.intelRdt"
	runCases(t, []convCase{
		{name: "empty: the container's group", mutate: rdt(specs.LinuxIntelRdt{}), check: wantRdt("c1", false)},
		{name: "root group", mutate: rdt(specs.LinuxIntelRdt{ClosID: "/"}), check: wantRdt("/", false)},
		{name: "own group only without closID", mutate: rdt(specs.LinuxIntelRdt{ClosID: "c1"}), check: func(t *testing.T, c *configs.Config) {
			if c.IntelRdt.OwnGroup {
				t.Errorf("a named group is the container's own: %+v", c.IntelRdt)
			}
		}},
		{name: "order l3, mb, schemata", mutate: rdt(specs.LinuxIntelRdt{
			ClosID: "gold", Schemata: []string{"L2:0=f", "MB:0=70"}, MemBwSchema: "MB:0=20", L3CacheSchema: "L3:0=7f0;1=1f", EnableMonitoring: true,
		}), check: wantRdt("gold", true, "L3:0=7f0;1=1f", "MB:0=20", "L2:0=f", "MB:0=70")},
		{name: "monitoring only", mutate: rdt(specs.LinuxIntelRdt{EnableMonitoring: true}), check: wantRdt("c1", true)},
		{name: "closID dot", mutate: rdt(specs.LinuxIntelRdt{ClosID: "."}), wantField: f + ".closID", wantErr: "not a resctrl group name"},
		{name: "closID dotdot", mutate: rdt(specs.LinuxIntelRdt{ClosID: ".."}), wantField: f + ".closID", wantErr: "not a resctrl group name"},
		{name: "closID path", mutate: rdt(specs.LinuxIntelRdt{ClosID: "a/b"}), wantField: f + ".closID", wantErr: "not a resctrl group name"},
		{name: "closID newline", mutate: rdt(specs.LinuxIntelRdt{ClosID: "a\nb"}), wantField: f + ".closID", wantErr: "newline"},
		{name: "mb prefix", mutate: rdt(specs.LinuxIntelRdt{MemBwSchema: "L3:0=f"}), wantField: f + ".memBwSchema", wantErr: `does not start with "MB:"`},
		{name: "l3 newline", mutate: rdt(specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f\nMB:0=1"}), wantField: f + ".l3CacheSchema", wantErr: "newline"},
		{name: "schemata newline", mutate: rdt(specs.LinuxIntelRdt{Schemata: []string{"L3:0=f", "MB:0=1\n"}}), wantField: f + ".schemata[1]", wantErr: "newline"},
		{name: "schemata empty line", mutate: rdt(specs.LinuxIntelRdt{Schemata: []string{" "}}), wantField: f + ".schemata[0]", wantErr: "empty"},
	})
}
