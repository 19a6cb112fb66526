package rootfs

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// After pivot_root the masks, the readonly paths and the read-only /dev
// are made on fds, never through /proc/self/fd/N: with no proc mounted at
// /proc, that path is the image's, here directories planted where the
// stage's fds would be, which a mount by path would land on.
func TestCRootfsNoProcMount(t *testing.T) {
	entries := []string{"etc/secret=s", "sys/firmware", "sys/kernel", "dev"}
	for fd := 0; fd < 32; fd++ {
		for _, dir := range []string{"self", "thread-self"} {
			entries = append(entries, fmt.Sprintf("proc/%s/fd/%d", dir, fd))
		}
	}
	root := scratch(t, entries...)
	cfg := newConfig(root,
		configs.Mount{Source: "tmpfs", Destination: "/dev", Type: "tmpfs", Flags: unix.MS_RDONLY | unix.MS_NOSUID})
	cfg.Devices = []configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, Mode: 0o666}}
	cfg.ReadonlyPaths = []string{"/etc"}
	cfg.MaskedPaths = []string{"/sys/firmware", "/sys/kernel", "/etc/secret", "/proc/kcore"}
	r := runPlan(t, cfg)
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	for _, in := range r.mounts {
		if strings.HasPrefix(in.MountPoint, "/proc/") {
			t.Errorf("a mount landed in the image's /proc: %s (%s)", in.MountPoint, in.FSType)
		}
	}
	for _, mp := range []string{"/dev", "/etc", "/sys/firmware", "/sys/kernel"} {
		if in := mountAt(r, mp); in == nil || !hasOpt(in, "ro") {
			t.Errorf("%s is not mounted read-only: %+v", mp, in)
		}
	}
	fw, kern := mountAt(r, "/sys/firmware"), mountAt(r, "/sys/kernel")
	if fw != nil && kern != nil && (fw.FSType != "tmpfs" || fw.Major != kern.Major || fw.Minor != kern.Minor) {
		t.Errorf("masked directories not on one tmpfs: %s %d:%d and %s %d:%d", fw.FSType, fw.Major, fw.Minor,
			kern.FSType, kern.Major, kern.Minor)
	}
	if in := mountAt(r, "/etc/secret"); in == nil || in.Root != "/null" {
		t.Errorf("/etc/secret not masked with the container's /dev/null: %+v", in)
	}
	if in := mountAt(r, "/dev"); in != nil && !hasOpt(in, "nosuid") {
		t.Errorf("/dev lost nosuid: %s", in.Options)
	}
}
