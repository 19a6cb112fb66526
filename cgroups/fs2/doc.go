// Package fs2 is the cgroup v2 driver: it renders linux.resources to the
// files of the unified hierarchy, attaches the eBPF device filter, enables
// controllers down the tree and reads statistics. The cgroups manager is
// the only caller; it decides when v2 is used (pure v2 hosts, and on hybrid
// hosts the controllers that only the unified mount has, such as hugetlb).
//
// API used by the manager:
//
//	Needed(r *specs.LinuxResources) []string
//	    v2 controllers (names as in cgroup.controllers) that r sets values
//	    for, by typed fields or unified keys, in Controllers order.
//	Render(controller string, r *specs.LinuxResources) ([]cgfile.Write, error)
//	    writes for one controller ("cpu", "cpuset", "memory", "pids", "io",
//	    "hugetlb", "rdma", "misc"), and "unified" for linux.resources.unified
//	    (applied last, so that it overrides); empty when r sets nothing for
//	    it. v1 values are converted as runc does. Pure: reads no file.
//	RenderIO(ProbeIO(dir), r) ([]cgfile.Write, error)
//	    the "io" writes for the kernel dir is on: BFQ's io.bfq.weight where
//	    it exists, as runc prefers it; Render("io") assumes no BFQ.
//	EnableControllers(root, dir string, ctrls []string) error
//	    "+ctrl" into cgroup.subtree_control from root down to dir's parent.
//	SetDevices(dir string, rules []specs.LinuxDeviceCgroup) error
//	    builds, loads and attaches the BPF_CGROUP_DEVICE program, replacing
//	    one berth attached before; no rules removes it. The program is
//	    assembled and loaded here (deviceprog.go, bpf.go), without an eBPF
//	    library: one would add 1.6 MB and ~30 packages to initialise at
//	    every berth command.
//	Stats(dir string, s *stats.Stats) error
//	OOMKills(dir string) (uint64, error)
//
// The conversions are exported for the callers that show or test them:
// SharesToWeight, BlkioToIOWeight, SwapToV2.
package fs2
