package specconv

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// maxNumaNodes is the kernel's MAX_NUMNODES on the architectures berth
// builds for (CONFIG_NODES_SHIFT 10): the nodemask init passes holds this
// many bits.
const maxNumaNodes = 1024

// mpolModes are the linux.memoryPolicy.mode values (config-linux.md
// "Memory policy") and their set_mempolicy(2) numbers.
var mpolModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault:            unix.MPOL_DEFAULT,
	specs.MpolBind:               unix.MPOL_BIND,
	specs.MpolInterleave:         unix.MPOL_INTERLEAVE,
	specs.MpolWeightedInterleave: unix.MPOL_WEIGHTED_INTERLEAVE,
	specs.MpolPreferred:          unix.MPOL_PREFERRED,
	specs.MpolPreferredMany:      unix.MPOL_PREFERRED_MANY,
	specs.MpolLocal:              unix.MPOL_LOCAL,
}

// mpolFlags are the linux.memoryPolicy.flags values.
var mpolFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: unix.MPOL_F_NUMA_BALANCING,
	specs.MpolFRelativeNodes: unix.MPOL_F_RELATIVE_NODES,
	specs.MpolFStaticNodes:   unix.MPOL_F_STATIC_NODES,
}

// KnownMemoryPolicyModes lists the modes Convert accepts, for `features`.
func KnownMemoryPolicyModes() []string {
	var out []string
	for m := range maps.Keys(mpolModes) {
		out = append(out, string(m))
	}
	slices.Sort(out)
	return out
}

// KnownMemoryPolicyFlags lists the flags Convert accepts, for `features`.
func KnownMemoryPolicyFlags() []string {
	var out []string
	for f := range maps.Keys(mpolFlags) {
		out = append(out, string(f))
	}
	slices.Sort(out)
	return out
}

// convertMemoryPolicy checks linux.memoryPolicy as runc 1.5 does, and
// further refuses up front the combinations set_mempolicy(2) rejects with
// a bare EINVAL, so that the error names the field:
//   - MPOL_DEFAULT and MPOL_LOCAL take no nodes; MPOL_BIND,
//     MPOL_INTERLEAVE, MPOL_WEIGHTED_INTERLEAVE and MPOL_PREFERRED_MANY at
//     least one; MPOL_PREFERRED any number (none means local allocation);
//   - MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other,
//     and need nodes (mm/mempolicy.c sanitize_mpol_flags, mpol_new);
//   - MPOL_F_NUMA_BALANCING goes with MPOL_BIND or MPOL_PREFERRED_MANY.
func convertMemoryPolicy(c *configs.Config, l *specs.Linux) error {
	mp := l.MemoryPolicy
	if mp == nil {
		return nil
	}
	const f = "linux.memoryPolicy"
	if mp.Mode == "" {
		return fieldErr(f+".mode", "missing memory policy mode (required)")
	}
	mode, ok := mpolModes[mp.Mode]
	if !ok {
		return fieldErr(f+".mode", "unknown memory policy mode %q (want one of %s)", mp.Mode, strings.Join(KnownMemoryPolicyModes(), ", "))
	}
	nodes, err := parseNodeList(mp.Nodes)
	if err != nil {
		return &FieldError{Field: f + ".nodes", Err: err}
	}
	flags := 0
	for i, name := range mp.Flags {
		v, ok := mpolFlags[name]
		if !ok {
			return fieldErr(idx(f+".flags", i), "unknown memory policy flag %q (want one of %s)", name, strings.Join(KnownMemoryPolicyFlags(), ", "))
		}
		flags |= v
	}
	switch mode {
	case unix.MPOL_DEFAULT, unix.MPOL_LOCAL:
		if len(nodes) > 0 {
			return fieldErr(f+".nodes", "memory policy mode %s takes no nodes, got %q", mp.Mode, mp.Nodes)
		}
	case unix.MPOL_BIND, unix.MPOL_INTERLEAVE, unix.MPOL_WEIGHTED_INTERLEAVE, unix.MPOL_PREFERRED_MANY:
		if len(nodes) == 0 {
			return fieldErr(f+".nodes", "memory policy mode %s needs at least one node", mp.Mode)
		}
	}
	const nodeFlags = unix.MPOL_F_STATIC_NODES | unix.MPOL_F_RELATIVE_NODES
	if flags&nodeFlags == nodeFlags {
		return fieldErr(f+".flags", "%s and %s exclude each other", specs.MpolFStaticNodes, specs.MpolFRelativeNodes)
	}
	if flags&nodeFlags != 0 && len(nodes) == 0 && mode != unix.MPOL_DEFAULT {
		return fieldErr(f+".flags", "%s with %s needs nodes", flagNames(mp.Flags, nodeFlags), mp.Mode)
	}
	if flags&unix.MPOL_F_NUMA_BALANCING != 0 && mode != unix.MPOL_BIND && mode != unix.MPOL_PREFERRED_MANY {
		return fieldErr(f+".flags", "%s goes only with %s or %s, not %s", specs.MpolFNumaBalancing, specs.MpolBind, specs.MpolPreferredMany, mp.Mode)
	}
	desc := string(mp.Mode)
	if len(mp.Flags) > 0 {
		desc += fmt.Sprintf(" flags %v", mp.Flags)
	}
	if mp.Nodes != "" {
		desc += fmt.Sprintf(" nodes %q", mp.Nodes)
	}
	c.MemoryPolicy = &configs.MemoryPolicy{Mode: mode, Flags: flags, Nodes: nodes, Desc: desc}
	return nil
}

// flagNames returns the names among list whose value is in mask.
func flagNames(list []specs.MemoryPolicyFlagType, mask int) string {
	var out []string
	for _, n := range list {
		if mpolFlags[n]&mask != 0 {
			out = append(out, string(n))
		}
	}
	return strings.Join(out, "|")
}

// parseNodeList parses a node list such as "0-3,7" (the cpuset list
// format) into sorted, distinct node numbers. Empty means no nodes.
func parseNodeList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := nodeNumber(lo, s)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = nodeNumber(hi, s); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("memory policy nodes %q: range %q runs backwards", s, part)
			}
		}
		for n := a; n <= b; n++ {
			seen[n] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

func nodeNumber(s, list string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || strings.HasPrefix(strings.TrimSpace(s), "+") {
		return 0, fmt.Errorf("memory policy nodes %q: not a node list (like \"0-3,7\")", list)
	}
	if n >= maxNumaNodes {
		return 0, fmt.Errorf("memory policy nodes %q: node %d is beyond the kernel's %d nodes", list, n, maxNumaNodes)
	}
	return n, nil
}
