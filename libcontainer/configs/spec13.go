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
	// root itself). Empty in config.json means the container ID.
	ClosID string `json:"clos_id"`
	// Schemata are the lines written to the group's schemata file, in
	// order: l3CacheSchema, memBwSchema, then schemata[].
	Schemata []string `json:"schemata,omitempty"`
	// EnableMonitoring makes a monitoring group mon_groups/<id>.
	EnableMonitoring bool `json:"enable_monitoring,omitempty"`
}
