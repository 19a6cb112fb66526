package rootfs

import (
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
)

// UnmountUnder detaches every mount at or below dir in the caller's mount
// namespace, deepest first. It undoes Prepare for a container without a
// mount namespace of its own, whose mounts were made in the host's.
func UnmountUnder(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var mps []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := cgroups.UnescapeMountinfo(f[4])
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
