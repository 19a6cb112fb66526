package libcontainer

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/proc"
)

// Processes lists the host pids of the container's processes: those of its
// cgroup or, for a container without a cgroup of its own (rootless, where
// the user could write none), those of its pid namespace when it has one
// of its own, else its init alone.
func (c *Container) Processes() ([]int, error) {
	if len(c.State.CgroupPaths) > 0 {
		return c.Pids()
	}
	return c.nsPids(), nil
}

// nsPids finds the live processes in init's pid namespace by comparing
// /proc/<pid>/ns/pid links (zombies are left out, as a cgroup leaves them
// out); processes of other users cannot be read, and are not the
// container's.
func (c *Container) nsPids() []int {
	pid := c.State.Pid
	if pid <= 0 || !proc.Alive(pid, c.State.StartTime) {
		return nil
	}
	p, own := c.State.Config.NamespacePath("pid")
	if !own || p != "" {
		// A shared (or joined) pid namespace holds more than the container.
		return []int{pid}
	}
	ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	if err != nil {
		return []int{pid}
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		if st, err := proc.State(n); err == nil && st != 'Z' {
			out = append(out, n)
		}
	}
	return out
}

// signalEvery signals every process of the container: through its cgroup,
// or those of its pid namespace when it has no cgroup (see Processes).
func (c *Container) signalEvery(sig unix.Signal) error {
	if len(c.State.CgroupPaths) > 0 {
		return c.signalAll(sig)
	}
	for _, p := range c.nsPids() {
		_ = unix.Kill(p, sig)
	}
	return nil
}
