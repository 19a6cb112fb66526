package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ParseSubCgroups reads exec's --cgroup values, runc's
// "[controller[,controller]:]path": a path for every hierarchy, or for
// the named v1 controllers. Paths are relative to the container's cgroup
// and must stay inside it; "/" is the container's cgroup itself (what
// runc takes, and what a caller that always passes --cgroup sends when it
// wants no sub-cgroup).
func ParseSubCgroups(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		ctrls, path := "", v
		if i := strings.IndexByte(v, ':'); i >= 0 {
			ctrls, path = v[:i], v[i+1:]
		}
		clean := filepath.Clean("/" + path)
		if path == "" || strings.Contains(path, "..") {
			return nil, fmt.Errorf("--cgroup %q: want [controller:]path, a sub-cgroup inside the container's", v)
		}
		keys := []string{""}
		if ctrls != "" {
			keys = strings.Split(ctrls, ",")
		}
		for _, k := range keys {
			if ctrls != "" && k == "" {
				return nil, fmt.Errorf("--cgroup %q: an empty controller name", v)
			}
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("--cgroup %q: %s given twice", v, keyName(k))
			}
			out[k] = strings.TrimPrefix(clean, "/")
		}
	}
	return out, nil
}

// Join places pid in the container's existing cgroups (exec), or in the
// existing sub-cgroups sub names (from ParseSubCgroups). A sub-cgroup is
// never created: as with runc, it must exist.
func (m *manager) Join(pid int, sub map[string]string) error {
	for k := range sub {
		if k != "" && m.v1Dir(k) == "" {
			return fmt.Errorf("--cgroup %s:%s: the container has no %s cgroup", k, sub[k], k)
		}
	}
	for key, dir := range m.paths {
		s := sub[""]
		for _, c := range strings.Split(key, ",") {
			if v, ok := sub[c]; ok && key != "" {
				s = v
			}
		}
		if s != "" {
			dir = filepath.Join(dir, s)
			if _, err := os.Stat(dir); err != nil {
				return fmt.Errorf("--cgroup: sub-cgroup %s (%s): %w", s, keyName(key), err)
			}
		}
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join cgroup %s (%s): %w", dir, keyName(key), err)
		}
	}
	return nil
}
