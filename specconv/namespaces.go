package specconv

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// namespaceFlags maps each runtime-spec namespace type (config-linux.md
// "Namespaces") to its clone(2) flag.
var namespaceFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// maxIDMapLines is the kernel's limit on lines of a uid_map or gid_map
// (user_namespaces(7), since Linux 4.15).
const maxIDMapLines = 340

// convertNamespaces resolves linux.namespaces, keeping their order, and the
// user and time namespace settings that only make sense with them.
func convertNamespaces(c *configs.Config, l *specs.Linux) error {
	seen := map[specs.LinuxNamespaceType]int{}
	for i, ns := range l.Namespaces {
		field := idx("linux.namespaces", i)
		if ns.Type == "" {
			return fieldErr(field+".type", "missing")
		}
		flag, ok := namespaceFlags[ns.Type]
		if !ok {
			return fieldErr(field+".type", "unknown namespace type %q", ns.Type)
		}
		// config-linux.md "Namespaces": duplicated types MUST be an error.
		if j, dup := seen[ns.Type]; dup {
			return fieldErr(field+".type", "duplicate namespace type %q (also linux.namespaces[%d])", ns.Type, j)
		}
		seen[ns.Type] = i
		path := ns.Path
		if path != "" {
			// config-linux.md "Namespaces": path MUST be absolute.
			var err error
			if path, err = absPath(field+".path", path); err != nil {
				return err
			}
		}
		c.Namespaces = append(c.Namespaces, configs.Namespace{Type: string(ns.Type), Flag: flag, Path: path})
	}
	if err := convertUserNamespace(c, l); err != nil {
		return err
	}
	return convertTimeOffsets(c, l.TimeOffsets)
}

// convertUserNamespace checks the mappings against the user namespace. A
// new user namespace without a mapping runs everything as the overflow id
// and cannot even exec, so it is refused. Mappings with a joined namespace
// are kept (the namespace already has its maps: nsenter must not write
// them, but init may need to know them).
func convertUserNamespace(c *configs.Config, l *specs.Linux) error {
	userPath, hasUser := c.NamespacePath(string(specs.UserNamespace))
	if !hasUser {
		if len(l.UIDMappings) > 0 {
			return fieldErr("linux.uidMappings", "set without a user namespace in linux.namespaces")
		}
		if len(l.GIDMappings) > 0 {
			return fieldErr("linux.gidMappings", "set without a user namespace in linux.namespaces")
		}
		return nil
	}
	if userPath == "" {
		if len(l.UIDMappings) == 0 {
			return fieldErr("linux.uidMappings", "a new user namespace needs at least one uid mapping")
		}
		if len(l.GIDMappings) == 0 {
			return fieldErr("linux.gidMappings", "a new user namespace needs at least one gid mapping")
		}
	}
	var err error
	if c.UIDMappings, err = convertIDMaps("linux.uidMappings", l.UIDMappings); err != nil {
		return err
	}
	c.GIDMappings, err = convertIDMaps("linux.gidMappings", l.GIDMappings)
	return err
}

// convertIDMaps checks mappings the way the kernel will when they are
// written to /proc/PID/[ug]id_map (user_namespaces(7)): a bounded number of
// non-empty ranges that do not wrap and do not overlap on either side.
func convertIDMaps(field string, maps []specs.LinuxIDMapping) ([]configs.IDMap, error) {
	if len(maps) > maxIDMapLines {
		return nil, fieldErr(field, "%d mappings, the kernel accepts at most %d", len(maps), maxIDMapLines)
	}
	out := make([]configs.IDMap, 0, len(maps))
	for i, m := range maps {
		f := idx(field, i)
		if m.Size == 0 {
			return nil, fieldErr(f+".size", "must be greater than zero")
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(f, "container range %d+%d exceeds the 32-bit id space", m.ContainerID, m.Size)
		}
		if uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(f, "host range %d+%d exceeds the 32-bit id space", m.HostID, m.Size)
		}
		for j, p := range maps[:i] {
			if overlap(m.ContainerID, m.Size, p.ContainerID, p.Size) {
				return nil, fieldErr(f, "container range overlaps %s", idx(field, j))
			}
			if overlap(m.HostID, m.Size, p.HostID, p.Size) {
				return nil, fieldErr(f, "host range overlaps %s", idx(field, j))
			}
		}
		out = append(out, configs.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	return out, nil
}

func overlap(a, alen, b, blen uint32) bool {
	return uint64(a) < uint64(b)+uint64(blen) && uint64(b) < uint64(a)+uint64(alen)
}

// convertTimeOffsets checks linux.timeOffsets (config-linux.md "Offset for
// Time Namespace"). Offsets are written to /proc/self/timens_offsets, which
// the kernel accepts only for a new time namespace before any process has
// entered it, and only for the monotonic and boottime clocks
// (time_namespaces(7)).
func convertTimeOffsets(c *configs.Config, offsets map[string]specs.LinuxTimeOffset) error {
	if len(offsets) == 0 {
		return nil
	}
	path, hasTime := c.NamespacePath(string(specs.TimeNamespace))
	if !hasTime {
		return fieldErr("linux.timeOffsets", "set without a time namespace in linux.namespaces")
	}
	if path != "" {
		return fieldErr("linux.timeOffsets", "cannot be set when joining an existing time namespace (path %q)", path)
	}
	for _, clock := range slices.Sorted(maps.Keys(offsets)) {
		f := fmt.Sprintf("linux.timeOffsets[%q]", clock)
		if clock != "monotonic" && clock != "boottime" {
			return fieldErr(f, "unknown clock %q (want monotonic or boottime)", clock)
		}
		if offsets[clock].Nanosecs >= 1e9 {
			return fieldErr(f+".nanosecs", "%d is not below one second", offsets[clock].Nanosecs)
		}
	}
	c.TimeOffsets = maps.Clone(offsets)
	return nil
}

// convertUTS refuses a hostname or domainname that would be set in the
// runtime's UTS namespace, i.e. on the host. The spec allows the container
// UTS namespace to be the runtime's (config.md "Hostname"), but runc refuses
// this ("unable to set hostname without a private UTS namespace") and so
// does berth. A joined UTS namespace is accepted: a Kubernetes pod's
// containers join the sandbox's one and carry its hostname.
func convertUTS(c *configs.Config) error {
	if _, ok := c.NamespacePath(string(specs.UTSNamespace)); ok {
		return nil
	}
	if c.Hostname != "" {
		return fieldErr("hostname", "cannot be set without a uts namespace in linux.namespaces")
	}
	if c.Domainname != "" {
		return fieldErr("domainname", "cannot be set without a uts namespace in linux.namespaces")
	}
	return nil
}

// ipcSysctls are the kernel.* sysctls that belong to the IPC namespace
// (ipc_namespaces(7)); fs.mqueue.* do too.
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true,
	"kernel.sem": true, "kernel.shmall": true, "kernel.shmmax": true,
	"kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// convertSysctl checks linux.sysctl (config-linux.md "Sysctl"). Keys use
// sysctl(8)'s dotted form: init writes /proc/sys/<key> with '.' turned
// into '/' and '/' into '.' (so "net.ipv4.conf.eth0/100.forwarding" names
// the eth0.100 interface). Like runc, only namespaced sysctls are accepted,
// each only with its namespace in linux.namespaces, so that a container
// cannot change the host's kernel settings.
func convertSysctl(c *configs.Config, sysctl map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(sysctl)) {
		f := fmt.Sprintf("linux.sysctl[%q]", key)
		if key == "" {
			return fieldErr("linux.sysctl", "empty key")
		}
		if err := checkNUL(key + sysctl[key]); err != nil {
			return &FieldError{Field: f, Err: err}
		}
		for _, part := range strings.Split(key, ".") {
			// An empty part, or one of only '/' (which becomes "." or
			// "..") would walk out of /proc/sys.
			if strings.Trim(part, "/") == "" {
				return fieldErr(f, "%q is not a valid sysctl name", key)
			}
		}
		if err := checkSysctlNamespace(c, key); err != nil {
			return &FieldError{Field: f, Err: err}
		}
	}
	c.Sysctl = maps.Clone(sysctl)
	return nil
}

func checkSysctlNamespace(c *configs.Config, key string) error {
	has := func(t specs.LinuxNamespaceType) bool {
		_, ok := c.NamespacePath(string(t))
		return ok
	}
	switch {
	case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
		if !has(specs.IPCNamespace) {
			return fmt.Errorf("%q needs an ipc namespace in linux.namespaces", key)
		}
	case strings.HasPrefix(key, "net."):
		if !has(specs.NetworkNamespace) {
			return fmt.Errorf("%q needs a network namespace in linux.namespaces", key)
		}
	case key == "kernel.hostname":
		return fmt.Errorf("%q conflicts with the hostname field: set hostname instead", key)
	case key == "kernel.domainname":
		if !has(specs.UTSNamespace) {
			return fmt.Errorf("%q needs a uts namespace in linux.namespaces", key)
		}
	default:
		return fmt.Errorf("%q is not namespaced: it would change the host", key)
	}
	return nil
}
