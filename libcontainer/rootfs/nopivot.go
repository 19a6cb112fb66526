package rootfs

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

// hideHostPseudoFS detaches, from the container's mount namespace, every
// whole procfs and sysfs mounted outside the rootfs (the host's /proc and
// /sys, which the namespace copied). With --no-pivot the old root is not
// detached: chroot hides it from path lookups, but it stays in the mount
// namespace, and the kernel lets a user namespace mount a new procfs or
// sysfs if a fully visible one exists anywhere in the mount namespace
// (mount_too_revealing in fs/namespace.c). A process of the container
// could then unshare a user namespace and mount a procfs without the
// container's masks. Only mounts of a filesystem's root count for that
// check, so those are the ones removed; what the kernel refuses to
// unmount (locked mounts in a user namespace) is covered with an empty
// tmpfs instead, as runc does.
//
// root is the rootfs as the kernel names it (cwd after chdir into it), so
// the container's own /proc and /sys under it are left alone.
func hideHostPseudoFS(root string) error {
	mps, err := hostPseudoFSMounts(root)
	if err != nil {
		return err
	}
	for _, mp := range mps {
		// The unmount must not propagate to the host's namespace,
		// whatever the propagation of / is (rootfsPropagation shared).
		if err := unix.Mount("", mp, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if err == unix.ENOENT || err == unix.EINVAL {
				// Gone with a mount above it detached earlier.
				continue
			}
			return wrap("make rslave", mp, err)
		}
		err := unix.Unmount(mp, unix.MNT_DETACH)
		if err == unix.EINVAL || err == unix.EPERM {
			err = unix.Mount("tmpfs", mp, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0k")
			if err != nil {
				return wrap("cover", mp, err)
			}
		} else if err != nil {
			return wrap("unmount", mp, err)
		}
	}
	return nil
}

// hostPseudoFSMounts lists the mount points of whole procfs and sysfs
// mounts outside root, deepest first.
func hostPseudoFSMounts(root string) ([]string, error) {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return pseudoFSOutside(infos, root), nil
}

// pseudoFSOutside picks the mount points of whole procfs and sysfs mounts
// (root field "/": a bind of a subdirectory does not make the filesystem
// visible to the kernel's check) outside root, deepest first.
func pseudoFSOutside(infos []mountinfo.Info, root string) []string {
	var mps []string
	for _, in := range infos {
		if in.Root != "/" || (in.FSType != "proc" && in.FSType != "sysfs") {
			continue
		}
		mp := in.MountPoint
		if mp == root || strings.HasPrefix(mp, strings.TrimSuffix(root, "/")+"/") {
			continue
		}
		mps = append(mps, mp)
	}
	sort.SliceStable(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	return mps
}
