package libcontainer

import (
	"fmt"
	"os"
	"strconv"
)

// writeOOMScoreAdj sets process.oomScoreAdj on the nsenter stage, pid, from
// the parent, before the stage has read its bootstrap: the stage's children
// (init, or an exec's process) inherit it at fork. It cannot wait for init:
// in a new user namespace init is root of that namespace only, and its
// /proc/self/oom_score_adj, owned by the host's root because init is not
// dumpable, is closed to it (what a Kubernetes pod with hostUsers: false
// hits, containerd setting the score on every container). runc's nsexec
// writes it at the same point, before any namespace.
func writeOOMScoreAdj(pid int, adj *int) error {
	if adj == nil {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/oom_score_adj", pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(*adj)), 0); err != nil {
		return fmt.Errorf("process.oomScoreAdj %d: %w", *adj, err)
	}
	return nil
}
