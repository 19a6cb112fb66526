package cgroups

import (
	"os"
	"strings"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

// Hierarchy is one cgroup filesystem mounted on the host.
type Hierarchy struct {
	MountPoint string
	Root       string // the mount's root inside the hierarchy
	Fstype     string // "cgroup" (v1) or "cgroup2"
	// Key is how /proc/<pid>/cgroup names the hierarchy: its controllers
	// ("cpu,cpuacct", "name=systemd") for v1, "" for cgroup2.
	Key string
}

// Hierarchies lists the cgroup mounts under /sys/fs/cgroup, from
// /proc/self/mountinfo.
func Hierarchies() ([]Hierarchy, error) {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var hs []Hierarchy
	for _, in := range infos {
		if (in.FSType != "cgroup" && in.FSType != "cgroup2") || !strings.HasPrefix(in.MountPoint, "/sys/fs/cgroup") {
			continue
		}
		h := Hierarchy{MountPoint: in.MountPoint, Root: in.Root, Fstype: in.FSType}
		if in.FSType == "cgroup" {
			h.Key = v1Controllers(in.SuperOptions)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// v1Controllers keeps the options of a v1 super block that name its
// controllers, in the kernel's order, which is also /proc/self/cgroup's.
func v1Controllers(superOpts string) string {
	var out []string
	for _, o := range strings.Split(superOpts, ",") {
		switch {
		case o == "rw" || o == "ro" || o == "xattr" || o == "clone_children" || o == "noprefix":
		case strings.HasPrefix(o, "release_agent="):
		default:
			out = append(out, o)
		}
	}
	return strings.Join(out, ",")
}

// OwnCgroups maps each hierarchy key of /proc/<pid>/cgroup to the process's
// cgroup in it ("self" for the caller).
func OwnCgroups(pid string) (map[string]string, error) {
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, nil
}

// UnescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/self/mountinfo.
func UnescapeMountinfo(s string) string {
	return mountinfo.Unescape(s)
}
