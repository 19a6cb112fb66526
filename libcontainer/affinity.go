package libcontainer

import "golang.org/x/sys/unix"

// resetAffinity widens the CPU affinity of the nsenter stage (and so of
// init and the user's process, which inherit it) to every CPU its cpuset
// allows. Without it the container would keep the caller's mask: a
// kubelet or containerd pinned to a housekeeping CPU would pin every
// container there too. The kernel intersects the requested mask with the
// task's cpuset (sched_setaffinity(2)), so asking for all CPUs gives
// exactly the cgroup's; it is called once the stage is in its cgroups.
// Best effort, as in runc: a failure leaves the inherited mask, which
// still works; process.execCPUAffinity, applied later by init, wins.
func resetAffinity(pid int) {
	var all unix.CPUSet
	for cpu := 0; cpu < len(all)*64; cpu++ {
		all.Set(cpu)
	}
	_ = unix.SchedSetaffinity(pid, &all)
}
