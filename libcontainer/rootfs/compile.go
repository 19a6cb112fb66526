package rootfs

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// The rootfs part of the create plan, run by the C stage (nsenter/rootfs.c
// and the files it dispatches to): CompilePrepare emits the mounts and /dev,
// CompileEnter pivot_root or the no-pivot move, CompileProtect the readonly
// and masked paths. Everything that can be decided from the config is
// decided here (flags, data, labels, which /dev nodes and links, facts.go),
// and C does what needs the container's mount namespace: resolve beneath
// the root, stat, mkdir, mknod, copy up, mount, pivot_root, and read that
// namespace's mount table for what only it can say (the cgroup hierarchies,
// the mount a shared root's parent is made private on, the procfs and sysfs
// mounts --no-pivot hides): a joined namespace is not the parent's, and a
// new one can gain mounts by propagation after compile.

// CompilePrepare appends the steps that mount the container's filesystems.
func CompilePrepare(cfg *configs.Config, p *plan.Plan) error {
	mountns := inMountNS(cfg)
	var prop uintptr
	if mountns {
		// Recursive whatever was asked, and an unbindable / waits for
		// the enter step. A shared one: the C stage makes the
		// rootfs's parent mount private first.
		prop = cfg.RootPropagation | unix.MS_REC
		if cfg.RootPropagation == 0 || prop&unix.MS_UNBINDABLE != 0 {
			prop = unix.MS_SLAVE | unix.MS_REC
		}
	}
	p.Add(plan.OpRootBind, "root.path", plan.B(mountns), plan.U(uint64(prop)), plan.S(cfg.Rootfs))
	userns := inUserNS(cfg)
	for i := range cfg.Mounts {
		compileMount(cfg, i, userns, p)
	}
	if needsDev(cfg) {
		compileDev(cfg, userns, p)
	}
	return nil
}

// compileMount emits mounts[i]: its kind, flags and data, and what the C
// stage must find out at run time (nsenter/mount.c).
func compileMount(cfg *configs.Config, i int, userns bool, p *plan.Plan) {
	m := &cfg.Mounts[i]
	field := fmt.Sprintf("mounts[%d]", i)
	bind := m.IsBind() || m.Type == "bind"
	if m.IDMap == nil && (m.Type == "cgroup" || m.Type == "cgroup2") {
		compileCgroup(cfg, m, field, p)
		return
	}
	var how uint64
	if userns {
		how |= plan.HowUserNS
	}
	kind := plan.MountFS
	data, fallback := m.Data, ""
	flags := m.Flags
	switch {
	case m.IDMap != nil:
		kind = plan.MountIDMap
	case m.Tmpcopyup:
		kind = plan.MountTmpcopyup
		if isDevMount(m) {
			how |= plan.HowKeepRW
		}
		if bind {
			// The source is a bind's (stat for a file or directory
			// destination), and so is the mount, as in runc: mount(2)
			// ignores the type with MS_BIND (nsenter/copyup.c).
			how |= plan.HowBindSource
		} else {
			// The tmpfs is labelled as a new tmpfs is (runc labels
			// it too): on an SELinux host the container may use it.
			data = withLabel(m, cfg.MountLabel)
		}
	case bind:
		kind = plan.MountBind
	default:
		data = withLabel(m, cfg.MountLabel)
		if isDevMount(m) {
			// Filled first, made read-only by OpDevReadonly.
			flags &^= unix.MS_RDONLY
		}
		if userns {
			fallback = hostFallback(m.Type)
		}
	}
	// A source the container's root cannot reach: only the parent, with
	// the host's credentials, can open it (mountsource.go).
	if bind && kind != plan.MountIDMap && userns && !cfg.Rootless {
		how |= plan.HowAskSource
	}
	if m.Type == "tmpfs" && !m.IsBind() {
		how |= plan.HowInheritMode
	}
	if isPseudoFS(m) && kind == plan.MountFS {
		how |= plan.HowOrdinaryDir
	}
	items := []plan.Item{
		plan.U(uint64(i)), plan.U(uint64(kind)), plan.U(how), plan.U(uint64(flags)), plan.U(uint64(m.ClearedFlags)),
		plan.S(m.Source), plan.S(m.Destination), plan.S(m.Type), plan.S(data), plan.S(fallback),
	}
	p.Add(plan.OpMount, field, append(items, finishItems(m)...)...)
}

// finishItems are the propagation and recursive attributes of m, applied
// once it is mounted.
func finishItems(m *configs.Mount) []plan.Item {
	items := []plan.Item{plan.U(uint64(len(m.Propagation)))}
	for _, pr := range m.Propagation {
		items = append(items, plan.U(uint64(pr)))
	}
	return append(items, plan.U(m.AttrSet), plan.U(m.AttrClr))
}

// compileCgroup emits a cgroup mount. The hierarchies are those of the
// container's mount namespace, which the C stage reads there
// (nsenter/cgroupmnt.c), as it reads init's own cgroup for the binds
// without a cgroup namespace once the parent has placed it.
func compileCgroup(cfg *configs.Config, m *configs.Mount, field string, p *plan.Plan) {
	_, cgns := cfg.NamespacePath("cgroup")
	items := []plan.Item{plan.U(0), plan.U(uint64(m.Flags)), plan.B(cgns), plan.S(m.Destination)}
	p.Add(plan.OpCgroupMount, field, append(items, finishItems(m)...)...)
}

// compileDev emits linux.devices and the standard links of /dev.
func compileDev(cfg *configs.Config, userns bool, p *plan.Plan) {
	for i := range cfg.Devices {
		d := &cfg.Devices[i]
		// A fifo needs no privilege: made in a user namespace too.
		bind := userns && d.Type != 'p'
		p.Add(plan.OpDevice, fmt.Sprintf("linux.devices[%d]", i),
			plan.U(uint64(d.Type)), plan.U(uint64(d.Mode)), plan.I(d.Major), plan.I(d.Minor),
			plan.U(uint64(d.UID)), plan.U(uint64(d.GID)), plan.B(bind), plan.S(d.Path))
	}
	links := [][2]string{
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	if hasMount(cfg, "/dev/pts") {
		links = append(links, [2]string{"pts/ptmx", "ptmx"})
	}
	items := []plan.Item{plan.U(uint64(len(links)))}
	for _, l := range links {
		items = append(items, plan.S(l[0]), plan.S(l[1]))
	}
	p.Add(plan.OpDevLinks, "linux.devices", items...)
}

// CompileEnter appends the steps that make the rootfs the container's root.
func CompileEnter(cfg *configs.Config, p *plan.Plan) error {
	mode := plan.EnterPivot
	var prop uintptr
	switch {
	case !inMountNS(cfg):
		mode = plan.EnterChroot
	case cfg.NoPivot:
		// The C stage hides the procfs and sysfs mounts outside the
		// rootfs, as its namespace has them then (nsenter/pivot.c).
		mode = plan.EnterNoPivot
	}
	if inMountNS(cfg) {
		prop = cfg.RootPropagation
	}
	p.Add(plan.OpEnter, "root.path", plan.U(uint64(mode)), plan.S(cfg.Rootfs), plan.U(uint64(prop)))
	p.Add(plan.OpMkdirCwd, "process.cwd", plan.S(cfg.Process.Cwd))
	// A read-only /dev: the last mount of /dev is the one on top.
	dev := -1
	for i := range cfg.Mounts {
		if filepath.Clean(cfg.Mounts[i].Destination) == "/dev" {
			dev = i
		}
	}
	if dev >= 0 && isDevMount(&cfg.Mounts[dev]) && cfg.Mounts[dev].Flags&unix.MS_RDONLY != 0 {
		p.Add(plan.OpDevReadonly, fmt.Sprintf("mounts[%d]", dev))
	}
	if cfg.Readonly {
		p.Add(plan.OpRootReadonly, "root.readonly", plan.B(inUserNS(cfg)))
	}
	return nil
}

// CompileProtect appends the steps for linux.readonlyPaths and maskedPaths.
// A path listed twice (or spelt two ways) is masked once.
func CompileProtect(cfg *configs.Config, p *plan.Plan) error {
	for i, path := range cfg.ReadonlyPaths {
		p.Add(plan.OpReadonlyPath, fmt.Sprintf("linux.readonlyPaths[%d]", i), plan.S(path))
	}
	seen := make(map[string]bool, len(cfg.MaskedPaths))
	for i, path := range cfg.MaskedPaths {
		clean := filepath.Clean("/" + path)
		if seen[clean] {
			continue
		}
		seen[clean] = true
		p.Add(plan.OpMaskPath, fmt.Sprintf("linux.maskedPaths[%d]", i), plan.S(path))
	}
	p.Add(plan.OpRootfsDone, "linux.maskedPaths")
	return nil
}
