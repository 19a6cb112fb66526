// Package configs holds the resolved container configuration: everything the
// init process needs, already validated and converted to kernel values by
// specconv, so that init does no parsing of config.json. It crosses the process
// boundary as JSON over the init pipe.
package configs

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Config is a container after specconv: names resolved to numbers, paths made
// absolute, options split into flags and data.
type Config struct {
	// Rootfs is the absolute host path of root.path.
	Rootfs   string `json:"rootfs"`
	Readonly bool   `json:"readonly,omitempty"`
	// NoPivot uses MS_MOVE + chroot instead of pivot_root (ramdisk roots).
	NoPivot bool `json:"no_pivot,omitempty"`
	// RootPropagation is the MS_* propagation applied to / inside the
	// container's mount namespace before the mounts (0: rslave default).
	RootPropagation uintptr `json:"root_propagation,omitempty"`

	Namespaces  []Namespace `json:"namespaces,omitempty"`
	UIDMappings []IDMap     `json:"uid_mappings,omitempty"`
	GIDMappings []IDMap     `json:"gid_mappings,omitempty"`
	// TimeOffsets are written by the parent to /proc/<stage pid>/timens_offsets
	// once the nsenter stage has made the time namespace.
	TimeOffsets map[string]specs.LinuxTimeOffset `json:"time_offsets,omitempty"`

	Mounts        []Mount           `json:"mounts,omitempty"`
	Devices       []Device          `json:"devices,omitempty"`
	MaskedPaths   []string          `json:"masked_paths,omitempty"`
	ReadonlyPaths []string          `json:"readonly_paths,omitempty"`
	Sysctl        map[string]string `json:"sysctl,omitempty"`
	Hostname      string            `json:"hostname,omitempty"`
	Domainname    string            `json:"domainname,omitempty"`

	Process Process `json:"process"`

	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Version is the ociVersion of the bundle, reported back by state.
	Version string `json:"version"`

	// CgroupsPath is what the cgroup manager must resolve, as specconv left
	// it: with SystemdCgroup, "slice:prefix:name"; otherwise an absolute
	// path (relative to the cgroup root, "/<id>" by default) or a cleaned
	// relative path that the manager joins to berth's own cgroup
	// (runtime-spec config-linux.md "Cgroups Path").
	CgroupsPath string                `json:"cgroups_path,omitempty"`
	Resources   *specs.LinuxResources `json:"resources,omitempty"`
	// SystemdCgroup is true with --systemd-cgroup (slice:prefix:name form).
	SystemdCgroup bool `json:"systemd_cgroup,omitempty"`

	OOMScoreAdj *int `json:"oom_score_adj,omitempty"`
	// NoNewKeyring keeps the session keyring of the caller.
	NoNewKeyring bool `json:"no_new_keyring,omitempty"`
	// Personality is linux.personality domain value, nil for none.
	Personality *int `json:"personality,omitempty"`

	// MemoryPolicy is linux.memoryPolicy, set by init for the process.
	MemoryPolicy *MemoryPolicy `json:"memory_policy,omitempty"`
	// NetDevices are linux.netDevices, moved by the parent into the
	// container's network namespace.
	NetDevices []NetDevice `json:"net_devices,omitempty"`
	// IntelRdt is linux.intelRdt, applied by the parent through resctrl.
	IntelRdt *IntelRdt `json:"intel_rdt,omitempty"`

	// MountLabel is linux.mountLabel: the SELinux context for the mounts.
	MountLabel string `json:"mount_label,omitempty"`
	// Rootless is --rootless (auto: true when berth runs without root or
	// in a user namespace): a cgroup berth may not create or join is
	// skipped (with a warning when resource limits were asked for).
	Rootless bool `json:"rootless,omitempty"`
}

// Namespace is one linux.namespaces entry: a new namespace (Path empty) or
// one joined by path.
type Namespace struct {
	Type string `json:"type"`
	// Flag is the CLONE_NEW* value of Type.
	Flag uintptr `json:"flag"`
	Path string  `json:"path,omitempty"`
}

// IDMap is one uid or gid mapping line.
type IDMap struct {
	ContainerID uint32 `json:"container_id"`
	HostID      uint32 `json:"host_id"`
	Size        uint32 `json:"size"`
}

// Mount is one resolved mounts[] entry.
type Mount struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Type        string `json:"type"`
	// Flags are the MS_* flags of the options; Data the filesystem options.
	Flags uintptr `json:"flags,omitempty"`
	// ClearedFlags are the MS_* flags an option cleared explicitly (rw, suid,
	// dev, exec, atime, ...). A bind remount must keep the flags the kernel
	// locked on the source (nosuid, nodev, noexec, ro, the atime mode, when
	// the source came from a more privileged user namespace) or it fails
	// with EPERM; init keeps the source's flags except these.
	ClearedFlags uintptr `json:"cleared_flags,omitempty"`
	Data         string  `json:"data,omitempty"`
	// Propagation holds MS_SHARED/MS_SLAVE/... (each possibly | MS_REC),
	// applied one at a time after the mount.
	Propagation []uintptr `json:"propagation,omitempty"`
	// AttrSet/AttrClr are MOUNT_ATTR_* values for the recursive options
	// (rro, rnosuid, ...), applied with mount_setattr(AT_RECURSIVE).
	AttrSet uint64 `json:"attr_set,omitempty"`
	AttrClr uint64 `json:"attr_clr,omitempty"`
	// Tmpcopyup copies the rootfs contents into a new tmpfs.
	Tmpcopyup bool `json:"tmpcopyup,omitempty"`
	// IDMap, set, makes the bind an id-mapped mount (mounts[].uidMappings,
	// gidMappings and the idmap / ridmap options).
	IDMap *MountIDMap `json:"idmap,omitempty"`
}

// MountIDMap is how an id-mapped bind maps the ids of its source: files
// owned by host id HostID show as ContainerID through the mount.
type MountIDMap struct {
	UIDMappings []IDMap `json:"uid_mappings,omitempty"`
	GIDMappings []IDMap `json:"gid_mappings,omitempty"`
	// UsernsPath, instead of mappings, names the joined user namespace
	// whose mappings the mount takes (idmap without mappings, in a
	// container that joins one).
	UsernsPath string `json:"userns_path,omitempty"`
	// Recursive (ridmap) id-maps every mount of an rbind, not only the top.
	Recursive bool `json:"recursive,omitempty"`
}

// IsBind reports whether the mount is a bind mount (by type or MS_BIND).
func (m *Mount) IsBind() bool {
	return m.Flags&MsBind != 0
}

// MsBind mirrors unix.MS_BIND so that configs need not import unix.
const MsBind = 0x1000

// Device is a node to create (or bind from the host) in /dev.
type Device struct {
	Path  string `json:"path"`
	Type  rune   `json:"type"` // 'c', 'b' or 'p' (specconv turns 'u' into 'c')
	Major int64  `json:"major"`
	Minor int64  `json:"minor"`
	Mode  uint32 `json:"mode"` // permission bits
	UID   uint32 `json:"uid"`
	GID   uint32 `json:"gid"`
}

// Process is the user's process, as init must exec it.
type Process struct {
	Args           []string `json:"args"`
	Env            []string `json:"env,omitempty"`
	Cwd            string   `json:"cwd"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGids []uint32 `json:"additional_gids,omitempty"`
	Umask          *uint32  `json:"umask,omitempty"`
	Rlimits        []Rlimit `json:"rlimits,omitempty"`
	Terminal       bool     `json:"terminal,omitempty"`
	ConsoleWidth   uint16   `json:"console_width,omitempty"`
	ConsoleHeight  uint16   `json:"console_height,omitempty"`

	NoNewPrivileges bool                     `json:"no_new_privileges,omitempty"`
	Capabilities    *specs.LinuxCapabilities `json:"capabilities,omitempty"`
	Seccomp         *specs.LinuxSeccomp      `json:"seccomp,omitempty"`
	ApparmorProfile string                   `json:"apparmor_profile,omitempty"`
	SelinuxLabel    string                   `json:"selinux_label,omitempty"`
	IOPriority      *specs.LinuxIOPriority   `json:"io_priority,omitempty"`
	Scheduler       *specs.Scheduler         `json:"scheduler,omitempty"`
	ExecCPUAffinity *specs.CPUAffinity       `json:"exec_cpu_affinity,omitempty"`

	// ListenFDs is how many socket-activated fds (LISTEN_FDS) the
	// process gets at fd 3 on; init then sets LISTEN_PID to the pid the
	// process has, which is 1 only in a pid namespace of its own.
	ListenFDs int `json:"listen_fds,omitempty"`
}

// Rlimit is one resolved process.rlimits entry.
type Rlimit struct {
	Type int `json:"type"`
	// Name is the config.json name (RLIMIT_NOFILE), for messages.
	Name string `json:"name,omitempty"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// NamespacePath returns the path of the namespace of type t to join, and
// whether the config has a namespace of that type at all.
func (c *Config) NamespacePath(t string) (string, bool) {
	for _, ns := range c.Namespaces {
		if ns.Type == t {
			return ns.Path, true
		}
	}
	return "", false
}
