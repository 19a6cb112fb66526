package specconv

import (
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// convertCgroups resolves linux.cgroupsPath into what the cgroup manager
// must resolve (config-linux.md "Cgroups Path"), and checks and copies the
// resources: cgroups.CheckResources renders them for every driver without
// writing, so that a malformed value fails here, before any fork.
//
//   - With --systemd-cgroup the path is "slice:prefix:name", kept as is;
//     empty means ":berth:<id>" (the manager picks the default slice,
//     system.slice, or user.slice when rootless).
//   - Otherwise an empty path is "/<id>", relative to the cgroup root.
//   - An absolute path "MUST be relative to the cgroups mount point": kept,
//     cleaned.
//   - A relative path is kept relative, cleaned: the spec lets the runtime
//     choose its anchor, and the manager joins it to berth's own cgroup
//     (as runc does). One that climbs out of it ("..") is refused.
func convertCgroups(c *configs.Config, l *specs.Linux, opts Options) error {
	if err := cgroups.CheckResources(l.Resources); err != nil {
		return err
	}
	c.Resources = l.Resources
	const field = "linux.cgroupsPath"
	p := l.CgroupsPath
	if err := checkNUL(p); err != nil {
		return &FieldError{Field: field, Err: err}
	}
	if opts.SystemdCgroup {
		if p == "" {
			if err := checkCgroupID(opts.ID); err != nil {
				return err
			}
			c.CgroupsPath = ":berth:" + opts.ID
			return nil
		}
		parts := strings.Split(p, ":")
		if len(parts) != 3 {
			return fieldErr(field, "%q is not slice:prefix:name, as --systemd-cgroup needs", p)
		}
		slice, name := parts[0], parts[2]
		if slice != "" && (!strings.HasSuffix(slice, ".slice") || strings.Contains(slice, "/")) {
			return fieldErr(field, "%q: slice %q is not a systemd slice name (like system.slice)", p, slice)
		}
		if name == "" || strings.Contains(p, "/") {
			return fieldErr(field, "%q: name must be non-empty and no part may contain '/'", p)
		}
		c.CgroupsPath = p
		return nil
	}
	switch {
	case p == "":
		if err := checkCgroupID(opts.ID); err != nil {
			return err
		}
		c.CgroupsPath = "/" + opts.ID
	case path.IsAbs(p):
		c.CgroupsPath = path.Clean(p)
	default:
		cp := path.Clean(p)
		if cp == "." || cp == ".." || strings.HasPrefix(cp, "../") {
			return fieldErr(field, "relative path %q leaves berth's own cgroup", p)
		}
		c.CgroupsPath = cp
	}
	return nil
}

// checkCgroupID checks that the container ID can name the default cgroup.
// The commands validate IDs first; this guards the cgroup root against an
// empty or path-like ID all the same.
func checkCgroupID(id string) error {
	if id == "" || id == "." || id == ".." || strings.Contains(id, "/") {
		return fieldErr("linux.cgroupsPath", "empty, and container id %q cannot name a cgroup", id)
	}
	return nil
}
