package rootfs

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

func TestPseudoFSOutside(t *testing.T) {
	const mi = `22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
24 23 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
25 1 0:21 /sys /mnt/procsys rw - proc proc rw
26 1 0:22 / /srv/with\040space rw - sysfs sysfs rw
27 1 0:24 / /run/bundle/rootfs rw - ext4 /dev/vda rw
28 27 0:25 / /run/bundle/rootfs/proc rw - proc proc rw
29 27 0:26 / /run/bundle/rootfs/sys ro - sysfs sysfs ro
30 1 0:27 / /run/bundle/rootfs2/proc rw - proc proc rw
31 22 0:28 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
32 23 0:22 / /sys/kernel/x rw - sysfs sysfs rw
`
	infos, err := mountinfo.Parse(strings.NewReader(mi))
	if err != nil {
		t.Fatal(err)
	}
	got := pseudoFSOutside(infos, "/run/bundle/rootfs")
	// deepest first; the rootfs's own, the bind of a subdirectory and
	// other filesystems left out; a sibling whose name starts like the
	// rootfs's is not inside it
	want := []string{"/run/bundle/rootfs2/proc", "/srv/with space", "/sys/kernel/x", "/proc", "/sys"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
