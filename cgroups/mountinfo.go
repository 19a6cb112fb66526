package cgroups

import (
	"bufio"
	"os"
	"strings"
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
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var hs []Hierarchy
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 >= len(fields) {
			continue
		}
		fstype := fields[sep+1]
		mp := UnescapeMountinfo(fields[4])
		if (fstype != "cgroup" && fstype != "cgroup2") || !strings.HasPrefix(mp, "/sys/fs/cgroup") {
			continue
		}
		h := Hierarchy{MountPoint: mp, Root: UnescapeMountinfo(fields[3]), Fstype: fstype}
		if fstype == "cgroup" {
			h.Key = v1Controllers(fields[sep+3])
		}
		hs = append(hs, h)
	}
	return hs, sc.Err()
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
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			b.WriteByte((s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
