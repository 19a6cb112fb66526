package cgroups

import "golang.org/x/sys/unix"

// Unified reports whether the host is a pure cgroup v2 host: a cgroup2
// filesystem on /sys/fs/cgroup itself (a hybrid host has a tmpfs there,
// with the v1 hierarchies and a cgroup2 mount under it). Only the default
// spec asks: drivers are chosen by New from the mounts.
func Unified() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}
