package configs

// The runtime-spec 1.3 Linux fields: linux.memoryPolicy, linux.netDevices
// and linux.intelRdt, resolved.

// MemoryPolicy is linux.memoryPolicy as set_mempolicy(2) takes it.
type MemoryPolicy struct {
	// Mode is the MPOL_* mode; Flags the MPOL_F_* mode flags, ORed into
	// the mode argument.
	Mode  int `json:"mode"`
	Flags int `json:"flags,omitempty"`
	// Nodes are the NUMA node numbers of the nodemask.
	Nodes []int `json:"nodes,omitempty"`
	// Desc is the policy as config.json wrote it, for messages.
	Desc string `json:"desc,omitempty"`
}

// NetDevice is one linux.netDevices entry: the host device HostName moved
// into the container's network namespace as Name.
type NetDevice struct {
	HostName string `json:"host_name"`
	Name     string `json:"name"`
}

// IntelRdt is linux.intelRdt: the resctrl group the container joins and
// what is written to its schemata file.
type IntelRdt struct {
	// ClosID names the group (a directory of the resctrl root; "/" is the
	// root itself); the container ID when config.json sets none.
	ClosID string `json:"clos_id"`
	// OwnGroup is true when config.json set no closID: the group is the
	// container's own, made by create and removed by delete. A named one
	// may be shared, and is left.
	OwnGroup bool `json:"own_group,omitempty"`
	// The schemata lines, written in this order (config-linux.md).
	L3CacheSchema string   `json:"l3_cache_schema,omitempty"`
	MemBwSchema   string   `json:"mem_bw_schema,omitempty"`
	Schemata      []string `json:"schemata,omitempty"`
	// EnableMonitoring makes a monitoring group mon_groups/<id>.
	EnableMonitoring bool `json:"enable_monitoring,omitempty"`
}

// SchemataLines are the lines of the schemata file, in the order the spec
// has them written: l3CacheSchema, memBwSchema, then schemata[].
func (r *IntelRdt) SchemataLines() []string {
	var out []string
	for _, s := range append([]string{r.L3CacheSchema, r.MemBwSchema}, r.Schemata...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
