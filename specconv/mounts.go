package specconv

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// rootPropagation maps linux.rootfsPropagation (config-linux.md "Rootfs
// Mount Propagation") to MS_* flags. The spec names the four plain modes;
// the r* forms are accepted as runc does. "" stays 0: init then makes the
// root rslave, so that the container's mounts never propagate to the host.
var rootPropagation = map[string]uintptr{
	"shared":      unix.MS_SHARED,
	"slave":       unix.MS_SLAVE,
	"private":     unix.MS_PRIVATE,
	"unbindable":  unix.MS_UNBINDABLE,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

func convertRootPropagation(c *configs.Config, p string) error {
	if p == "" {
		return nil
	}
	flag, ok := rootPropagation[p]
	if !ok {
		return fieldErr("linux.rootfsPropagation", "unknown propagation %q", p)
	}
	c.RootPropagation = flag
	return nil
}

// mountFlag is an option that sets (or, with clear, clears) MS_* flags.
type mountFlag struct {
	clear bool
	flag  uintptr
}

// mountFlags are the mount(8) options that map to mount(2) flags
// (config.md "Linux mount options"). A later option overrides an earlier
// one, as in mount(8): "ro,rw" is read-write.
var mountFlags = map[string]mountFlag{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"suid":          {true, unix.MS_NOSUID},
	"nosuid":        {false, unix.MS_NOSUID},
	"dev":           {true, unix.MS_NODEV},
	"nodev":         {false, unix.MS_NODEV},
	"exec":          {true, unix.MS_NOEXEC},
	"noexec":        {false, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"iversion":      {false, unix.MS_I_VERSION},
	"noiversion":    {true, unix.MS_I_VERSION},
}

// propagationFlags are the per-mount propagation options. The kernel takes
// a propagation change only alone, in its own mount(2) call, so they are
// kept apart from Flags and applied in order after the mount.
var propagationFlags = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recAttr is a recursive option: mount_setattr(2) attributes to set and to
// clear on the whole tree.
type recAttr struct {
	set, clr uint64
}

// atimeAttr returns the recAttr that selects one atime mode. The atime
// modes are an enum in a bit field, not flags: mount_setattr(2) requires
// MOUNT_ATTR__ATIME in attr_clr to change it, and refuses part of it there
// (EINVAL). So every atime option, the "no" forms included, selects a mode.
func atimeAttr(mode uint64) recAttr {
	return recAttr{set: mode, clr: unix.MOUNT_ATTR__ATIME}
}

// recursiveAttrs are the r* options (config.md "Linux mount options", [^3]).
// Undoing an atime mode selects the kernel's default, relatime, except
// rnorelatime which asks for atime updates every time: strictatime.
var recursiveAttrs = map[string]recAttr{
	"rro":            {set: unix.MOUNT_ATTR_RDONLY},
	"rrw":            {clr: unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {set: unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {clr: unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {set: unix.MOUNT_ATTR_NODEV},
	"rdev":           {clr: unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {set: unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {clr: unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {set: unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {clr: unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow":   {set: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {clr: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rrelatime":      atimeAttr(unix.MOUNT_ATTR_RELATIME),
	"rnorelatime":    atimeAttr(unix.MOUNT_ATTR_STRICTATIME),
	"rnoatime":       atimeAttr(unix.MOUNT_ATTR_NOATIME),
	"ratime":         atimeAttr(unix.MOUNT_ATTR_RELATIME),
	"rstrictatime":   atimeAttr(unix.MOUNT_ATTR_STRICTATIME),
	"rnostrictatime": atimeAttr(unix.MOUNT_ATTR_RELATIME),
}

// convertMounts resolves mounts[] in order (config.md "Mounts").
func convertMounts(c *configs.Config, mounts []specs.Mount, opts Options) error {
	for i, m := range mounts {
		cm, err := convertMount(idx("mounts", i), m, opts)
		if err != nil {
			return err
		}
		if err := resolveMountIDMap(c, idx("mounts", i), cm); err != nil {
			return err
		}
		cm.Destination = stripRootfs(c.Rootfs, cm.Destination)
		c.Mounts = append(c.Mounts, *cm)
	}
	return nil
}

func convertMount(field string, m specs.Mount, opts Options) (*configs.Mount, error) {
	// config.md "Mounts": a mount is a bind mount if it has bind or rbind
	// in its options; runc also takes type "bind" alone to mean one.
	bind := m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
	cm, err := parseMountOptions(field, m.Options, bind, opts.Warn)
	if err != nil {
		return nil, err
	}
	cm.Type = m.Type
	if bind {
		cm.Flags |= unix.MS_BIND
	}
	if bind && cm.Type == "" {
		cm.Type = "bind"
	}
	if err := checkNUL(m.Type); err != nil {
		return nil, &FieldError{Field: field + ".type", Err: err}
	}
	if err := checkNUL(m.Source); err != nil {
		return nil, &FieldError{Field: field + ".source", Err: err}
	}
	if cm.Destination, err = mountDestination(field+".destination", m.Destination, opts.Warn); err != nil {
		return nil, err
	}
	if cm.Type == "" && cm.Flags&unix.MS_REMOUNT == 0 {
		// mount(2) needs a filesystem type for anything but a bind or a
		// remount (ENODEV), so say so now rather than from init.
		return nil, fieldErr(field+".type", "missing (required unless the mount is a bind mount)")
	}
	cm.Source = m.Source
	if bind {
		// config.md "Mounts": bind sources are absolute or relative to
		// the bundle.
		if m.Source == "" {
			return nil, fieldErr(field+".source", "missing (a bind mount needs a source)")
		}
		if !filepath.IsAbs(m.Source) {
			cm.Source = filepath.Join(opts.BundleDir, m.Source)
		}
		cm.Source = filepath.Clean(cm.Source)
	}
	if cm.Tmpcopyup && cm.Type != "tmpfs" {
		return nil, fieldErr(field+".options", "tmpcopyup needs a tmpfs mount, not type %q", cm.Type)
	}
	if err := convertMountIDMap(field, cm, m, bind); err != nil {
		return nil, err
	}
	return cm, nil
}

// stripRootfs turns a destination given as a host path under the rootfs
// into the container path it names (runc does the same: bundles written
// with the full path exist). Both are clean and absolute.
func stripRootfs(rootfs, dest string) string {
	if rootfs == "/" {
		return dest
	}
	if dest == rootfs {
		return "/"
	}
	if rest, ok := strings.CutPrefix(dest, rootfs+"/"); ok {
		return "/" + rest
	}
	return dest
}

// mountDestination checks a destination. Relative ones are deprecated but
// valid on Linux and "MUST be interpreted as relative to /" (config.md
// "Mounts", since runtime-spec 1.2); runc accepts them with a warning.
func mountDestination(field, dest string, warn func(string)) (string, error) {
	if dest == "" {
		return "", fieldErr(field, "missing")
	}
	if err := checkNUL(dest); err != nil {
		return "", &FieldError{Field: field, Err: err}
	}
	if !filepath.IsAbs(dest) {
		if warn != nil {
			warn(fmt.Sprintf("%s: %q is not absolute (deprecated): using %q", field, dest, filepath.Join("/", dest)))
		}
		return filepath.Join("/", dest), nil
	}
	return filepath.Clean(dest), nil
}

// parseMountOptions splits options into flags, cleared flags, propagation,
// recursive attributes and filesystem data. Options that are none of the
// known ones are filesystem data (tmpfs size=65536k, devpts newinstance),
// passed to the filesystem comma-joined in their order. A bind mount has no
// filesystem data (mount(2) ignores it with MS_BIND): a key=value option
// there is ignored with a warning (runc ignores it, and bundles written for
// runc carry them, e.g. mode=755), while an unknown bare word can only be a
// mistyped flag and is refused.
func parseMountOptions(field string, options []string, bind bool, warn func(string)) (*configs.Mount, error) {
	cm := &configs.Mount{}
	var data []string
	for j, o := range options {
		f := idx(field+".options", j)
		if o == "" {
			return nil, fieldErr(f, "empty option")
		}
		if err := checkNUL(o); err != nil {
			return nil, &FieldError{Field: f, Err: err}
		}
		if mf, ok := mountFlags[o]; ok {
			if mf.clear {
				cm.Flags &^= mf.flag
				cm.ClearedFlags |= mf.flag
			} else {
				cm.Flags |= mf.flag
				cm.ClearedFlags &^= mf.flag
			}
			continue
		}
		if p, ok := propagationFlags[o]; ok {
			cm.Propagation = append(cm.Propagation, p)
			continue
		}
		if ra, ok := recursiveAttrs[o]; ok {
			// The last option wins for every attribute it touches.
			cm.AttrSet = cm.AttrSet&^ra.clr&^ra.set | ra.set
			cm.AttrClr = cm.AttrClr&^ra.set | ra.clr
			continue
		}
		switch o {
		case "tmpcopyup":
			cm.Tmpcopyup = true
			continue
		case "idmap", "ridmap":
			// The mappings are mounts[].uidMappings / gidMappings, or
			// the container's (convertMountIDMap, resolveMountIDMap).
			cm.IDMap = &configs.MountIDMap{Recursive: o == "ridmap"}
			continue
		}
		if bind {
			if !strings.Contains(o, "=") {
				return nil, fieldErr(f, "unknown option %q for a bind mount", o)
			}
			if warn != nil {
				warn(fmt.Sprintf("%s: %q ignored: a bind mount takes no filesystem data", f, o))
			}
			continue
		}
		data = append(data, o)
	}
	cm.Data = strings.Join(data, ",")
	return cm, nil
}
