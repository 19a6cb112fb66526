// Package systemd is the systemd cgroup driver's half that talks to
// systemd: which unit a "slice:prefix:name" cgroupsPath names, where
// systemd puts its cgroup, the unit properties linux.resources map to, and
// the D-Bus calls that start, change and stop the unit. The cgroup files
// themselves are written by the cgroups package, as for the fs drivers.
package systemd

import (
	"fmt"
	"path"
	"strings"
)

// Unit is the transient unit a container's cgroup is.
type Unit struct {
	// Name is "prefix-name.scope", or "name" itself when it is a slice.
	Name string
	// Slice is the slice the unit goes in ("system.slice" by default).
	Slice string
}

// DefaultSlice is where a unit goes when cgroupsPath names no slice: the
// system manager's system.slice, or user.slice of the user's own manager
// (runc's defaults, which callers' paths are written against).
func DefaultSlice(rootless bool) string {
	if rootless {
		return "user.slice"
	}
	return "system.slice"
}

// ParseUnit reads a --systemd-cgroup cgroupsPath, "slice:prefix:name".
// A name ending in ".slice" asks for a slice rather than a scope (what
// kubelet does for its pod slices), as with runc.
func ParseUnit(cgroupsPath string, rootless bool) (Unit, error) {
	parts := strings.Split(cgroupsPath, ":")
	if len(parts) != 3 {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: want slice:prefix:name", cgroupsPath)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if name == "" {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: the name part is empty", cgroupsPath)
	}
	if strings.Contains(cgroupsPath, "/") {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: a unit name cannot hold '/'", cgroupsPath)
	}
	if slice == "" {
		slice = DefaultSlice(rootless)
	}
	if _, err := ExpandSlice(slice); err != nil {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	u := Unit{Name: name, Slice: slice}
	if !strings.HasSuffix(name, ".slice") {
		// An empty prefix still gets its dash: the name runc gives.
		u.Name = prefix + "-" + name + ".scope"
	} else if _, err := ExpandSlice(name); err != nil {
		return Unit{}, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	return u, nil
}

// IsSlice says whether the unit is a slice (placed with Wants=) rather
// than a scope (placed with Slice=).
func (u Unit) IsSlice() bool { return strings.HasSuffix(u.Name, ".slice") }

// ExpandSlice turns a slice name into its cgroup path: systemd nests
// slices by their dashes, so "a-b-c.slice" is
// "/a.slice/a-b.slice/a-b-c.slice" (systemd.slice(5)), and "-.slice" is
// the root.
func ExpandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("%q is not a slice name (like system.slice or a-b.slice)", slice)
	}
	if base == "-" {
		return "/", nil
	}
	out, prefix := "", ""
	for _, part := range strings.Split(base, "-") {
		if part == "" {
			return "", fmt.Errorf("%q is not a slice name: an empty part between dashes", slice)
		}
		out += "/" + prefix + part + ".slice"
		prefix += part + "-"
	}
	return out, nil
}

// CgroupPath is the unit's cgroup, relative to the hierarchy's root, for a
// manager whose own cgroup is managerCgroup ("/" for the system manager;
// "/user.slice/user-1000.slice/user@1000.service" for a user's).
func (u Unit) CgroupPath(managerCgroup string) string {
	if u.IsSlice() {
		p, _ := ExpandSlice(u.Name)
		return path.Join("/", managerCgroup, p)
	}
	p, _ := ExpandSlice(u.Slice)
	return path.Join("/", managerCgroup, p, u.Name)
}
