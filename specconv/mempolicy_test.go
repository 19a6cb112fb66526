package specconv

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func mpol(mode string, nodes string, flags ...string) func(*specs.Spec, *Options) {
	return func(s *specs.Spec, _ *Options) {
		mp := &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(mode), Nodes: nodes}
		for _, f := range flags {
			mp.Flags = append(mp.Flags, specs.MemoryPolicyFlagType(f))
		}
		s.Linux.MemoryPolicy = mp
	}
}

func wantMpol(mode, flags int, nodes ...int) func(*testing.T, *configs.Config) {
	return func(t *testing.T, c *configs.Config) {
		mp := c.MemoryPolicy
		if mp == nil || mp.Mode != mode || mp.Flags != flags || !slices.Equal(mp.Nodes, nodes) {
			t.Errorf("MemoryPolicy = %+v, want mode %d flags %#x nodes %v", mp, mode, flags, nodes)
		}
	}
}

func TestMemoryPolicy(t *testing.T) {
	const f = "linux.memoryPolicy"
	runCases(t, []convCase{
		{name: "none", check: func(t *testing.T, c *configs.Config) {
			if c.MemoryPolicy != nil {
				t.Errorf("MemoryPolicy = %+v", c.MemoryPolicy)
			}
		}},
		{name: "bind ranges", mutate: mpol("MPOL_BIND", "0-2,7, 5,1"), check: wantMpol(unix.MPOL_BIND, 0, 0, 1, 2, 5, 7)},
		{name: "last node", mutate: mpol("MPOL_INTERLEAVE", "1023"), check: wantMpol(unix.MPOL_INTERLEAVE, 0, 1023)},
		{name: "weighted", mutate: mpol("MPOL_WEIGHTED_INTERLEAVE", "0"), check: wantMpol(unix.MPOL_WEIGHTED_INTERLEAVE, 0, 0)},
		{name: "preferred none", mutate: mpol("MPOL_PREFERRED", ""), check: wantMpol(unix.MPOL_PREFERRED, 0)},
		{
			name: "preferred many balancing", mutate: mpol("MPOL_PREFERRED_MANY", "0", "MPOL_F_NUMA_BALANCING"),
			check: wantMpol(unix.MPOL_PREFERRED_MANY, unix.MPOL_F_NUMA_BALANCING, 0),
		},
		{name: "static", mutate: mpol("MPOL_BIND", "1", "MPOL_F_STATIC_NODES"), check: wantMpol(unix.MPOL_BIND, unix.MPOL_F_STATIC_NODES, 1)},
		{name: "local", mutate: mpol("MPOL_LOCAL", ""), check: wantMpol(unix.MPOL_LOCAL, 0)},
		{name: "default with static", mutate: mpol("MPOL_DEFAULT", "", "MPOL_F_STATIC_NODES"), check: wantMpol(unix.MPOL_DEFAULT, unix.MPOL_F_STATIC_NODES)},

		{name: "mode missing", mutate: mpol("", "0"), wantField: f + ".mode", wantErr: "missing"},
		{name: "mode unknown", mutate: mpol("MPOL_X", "0"), wantField: f + ".mode", wantErr: `unknown memory policy mode "MPOL_X"`},
		{name: "flag unknown", mutate: mpol("MPOL_BIND", "0", "MPOL_F_STATIC_NODES", "X"), wantField: f + ".flags[1]", wantErr: `"X"`},
		{name: "nodes garbage", mutate: mpol("MPOL_BIND", "a"), wantField: f + ".nodes", wantErr: "not a node list"},
		{name: "nodes negative", mutate: mpol("MPOL_BIND", "-1"), wantField: f + ".nodes", wantErr: "not a node list"},
		{name: "nodes plus", mutate: mpol("MPOL_BIND", "+1"), wantField: f + ".nodes", wantErr: "not a node list"},
		{name: "nodes empty part", mutate: mpol("MPOL_BIND", "0,,1"), wantField: f + ".nodes", wantErr: "not a node list"},
		{name: "nodes backwards", mutate: mpol("MPOL_BIND", "3-1"), wantField: f + ".nodes", wantErr: "backwards"},
		{name: "nodes too big", mutate: mpol("MPOL_BIND", "1024"), wantField: f + ".nodes", wantErr: "beyond"},
		{name: "bind no nodes", mutate: mpol("MPOL_BIND", ""), wantField: f + ".nodes", wantErr: "at least one node"},
		{name: "preferred many no nodes", mutate: mpol("MPOL_PREFERRED_MANY", " "), wantField: f + ".nodes", wantErr: "at least one node"},
		{name: "local nodes", mutate: mpol("MPOL_LOCAL", "0"), wantField: f + ".nodes", wantErr: "takes no nodes"},
		{name: "default nodes", mutate: mpol("MPOL_DEFAULT", "0"), wantField: f + ".nodes", wantErr: "takes no nodes"},
		{
			name: "static and relative", mutate: mpol("MPOL_BIND", "0", "MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"),
			wantField: f + ".flags", wantErr: "exclude each other",
		},
		{name: "relative without nodes", mutate: mpol("MPOL_PREFERRED", "", "MPOL_F_RELATIVE_NODES"), wantField: f + ".flags", wantErr: "needs nodes"},
		{name: "balancing interleave", mutate: mpol("MPOL_INTERLEAVE", "0", "MPOL_F_NUMA_BALANCING"), wantField: f + ".flags", wantErr: "only with MPOL_BIND"},
	})
}

func TestKnownMemoryPolicy(t *testing.T) {
	modes := KnownMemoryPolicyModes()
	if len(modes) != 7 || !slices.IsSorted(modes) || !slices.Contains(modes, "MPOL_WEIGHTED_INTERLEAVE") {
		t.Errorf("modes = %v", modes)
	}
	flags := KnownMemoryPolicyFlags()
	if !slices.Equal(flags, []string{"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"}) {
		t.Errorf("flags = %v", flags)
	}
}
