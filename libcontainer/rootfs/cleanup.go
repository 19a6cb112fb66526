package rootfs

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

// UnmountUnder detaches every mount at or below dir in the caller's mount
// namespace, deepest first. It undoes the mounts of CompilePrepare's steps
// for a container without a mount namespace of its own, whose mounts the
// C stage made in the host's.
func UnmountUnder(dir string) error {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var mps []string
	for _, in := range infos {
		mp := in.MountPoint
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	var first error
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT && first == nil {
			first = wrap("unmount", mp, err)
		}
	}
	return first
}
