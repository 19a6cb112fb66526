package configs

import specs "github.com/opencontainers/runtime-spec/specs-go"

// DefaultDevice is one device of config-linux.md "Default Devices".
type DefaultDevice struct {
	Path         string
	Major, Minor int64
	// Node: init makes the node (bind-mounts it, in a user namespace).
	// /dev/console and /dev/ptmx are not nodes of their own: init
	// bind-mounts the pty and links pts/ptmx, but the device cgroup must
	// let them be opened all the same.
	Node bool
}

// DefaultDevices is the one table of the devices every container gets:
// specconv makes the nodes from it, and the device cgroup allows them
// after the configured rules (DefaultDeviceRules).
var DefaultDevices = []DefaultDevice{
	{Path: "/dev/null", Major: 1, Minor: 3, Node: true},
	{Path: "/dev/zero", Major: 1, Minor: 5, Node: true},
	{Path: "/dev/full", Major: 1, Minor: 7, Node: true},
	{Path: "/dev/random", Major: 1, Minor: 8, Node: true},
	{Path: "/dev/urandom", Major: 1, Minor: 9, Node: true},
	{Path: "/dev/tty", Major: 5, Minor: 0, Node: true},
	{Path: "/dev/console", Major: 5, Minor: 1},
	{Path: "/dev/ptmx", Major: 5, Minor: 2},
}

// DefaultDeviceRules are the device cgroup rules appended to a config's
// own, as runc appends them: mknod of any node (opening one is what the
// rules guard), every default device, and the pty slaves (136:*).
func DefaultDeviceRules() []specs.LinuxDeviceCgroup {
	n := func(v int64) *int64 { return &v }
	rules := []specs.LinuxDeviceCgroup{
		{Allow: true, Type: "c", Access: "m"},
		{Allow: true, Type: "b", Access: "m"},
	}
	for _, d := range DefaultDevices {
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: n(d.Major), Minor: n(d.Minor), Access: "rwm"})
	}
	return append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: n(136), Access: "rwm"})
}
