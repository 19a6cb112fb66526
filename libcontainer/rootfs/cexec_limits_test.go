package rootfs

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Paths at the limits of the C stage's fixed buffers: a path that does not
// fit is an error (ENAMETOOLONG), never a shorter path that names another
// file; and cgroup bind sources cleaned as Go's filepath.Rel cleans them.

// rootfsHelper runs `rootfsrun WHICH` (clean, cgroup-source) on the input
// lines and returns its line for each.
func rootfsHelper(t *testing.T, which string, in []string) []string {
	t.Helper()
	cmd := exec.Command(buildRootfsRun(t), which)
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rootfsrun %s: %v", which, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(in) {
		t.Fatalf("rootfsrun %s: %d lines for %d inputs", which, len(lines), len(in))
	}
	return lines
}

var errTooLong = fmt.Sprintf("error %d", int(unix.ENAMETOOLONG))

// goClean is what clean_rel must give: filepath.Clean("/" + in) without
// the leading slash, or ENAMETOOLONG when that does not fit in PATH_MAX
// with its NUL.
func goClean(in string) string {
	c := strings.TrimPrefix(filepath.Clean("/"+in), "/")
	if len(c)+1 > unix.PathMax {
		return errTooLong
	}
	return c
}

func TestCCleanRel(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	// 20 names of 200 bytes: 4019 bytes; one of 100 more does not fit,
	// and "etc" after it would (clean_rel used to drop the one and keep "etc").
	deep := ""
	for i := 0; i < 20; i++ {
		deep += "/" + long(string(rune('a'+i)), 200)
	}
	cases := []string{
		"", "/", "a", "/a/./b//c/", "/../../x", "a/b/../../..", "./.", "/a/b/../c/./d/..",
		deep, deep + "/" + long("x", 100) + "/etc",
		deep + "/" + long("x", 100) + "/../etc", // the name that did not fit is taken off again
		deep + "/" + long("x", 100) + "/y/../../etc",
		"/" + long("p", 4095), "/" + long("p", 4096), "/" + long("p", 4094) + "/.",
		"/" + long("p", 4094) + "/q", "/" + long("p", 5000) + "/..",
	}
	// and random ones, made of short, long, "." and ".." names
	rng := rand.New(rand.NewSource(1)) //nolint:gosec // a fixed seed: the same paths every run
	names := []string{".", "..", "", "n", long("m", 255), long("k", 1000)}
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for j := rng.Intn(30); j > 0; j-- {
			b.WriteString("/" + names[rng.Intn(len(names))])
		}
		cases = append(cases, b.String())
	}
	got := rootfsHelper(t, "clean", cases)
	for i, in := range cases {
		if got, want := got[i], goClean(in); got != want {
			t.Errorf("clean_rel(%.60q... %d bytes) = %.60q... (%d bytes), want %.60q... (%d bytes)",
				in, len(in), got, len(got), want, len(want))
		}
	}
}

// A mount destination over PATH_MAX fails naming the field, and nothing is
// made or mounted: the C stage used to drop the name that did not fit and
// mount on the shorter path (here .../t/etc in place of .../t/xxx.../etc).
func TestCLongDestination(t *testing.T) {
	deep := ""
	for i := 0; i < 20; i++ {
		deep += "/" + strings.Repeat(string(rune('a'+i)), 200)
	}
	dest := deep + "/" + strings.Repeat("x", 100) + "/etc"
	root := scratch(t, "etc")
	r := runPlan(t, newConfig(root, configs.Mount{Source: "tmpfs", Destination: dest, Type: "tmpfs"}))
	if r.field != "mounts[0]" || !strings.HasPrefix(r.err, "mount destination: resolve /aaaa") ||
		!strings.HasSuffix(r.err, ": file name too long") {
		t.Errorf("got %s: %.120s...%s, want mounts[0]: mount destination: resolve /aaa...: file name too long",
			r.field, r.err, r.err[max(0, len(r.err)-40):])
	}
	assertNothingMade(t, root, "etc")
}

// A device node's path over PATH_MAX fails naming the device.
func TestCLongDevicePath(t *testing.T) {
	deep := "/dev"
	for i := 0; i < 20; i++ {
		deep += "/" + strings.Repeat(string(rune('a'+i)), 200)
	}
	path := deep + "/" + strings.Repeat("x", 100) + "/null"
	root := scratch(t, "dev")
	cfg := newConfig(root)
	cfg.Devices = []configs.Device{{Path: path, Type: 'c', Major: 1, Minor: 3, Mode: 0o666}}
	r := runPlan(t, cfg)
	if r.field != "linux.devices[0]" || !strings.HasPrefix(r.err, "create device /dev/aaaa") ||
		!strings.HasSuffix(r.err, ": file name too long") {
		t.Errorf("got %s: %.120s...%s, want linux.devices[0]: create device /dev/aaa...: file name too long",
			r.field, r.err, r.err[max(0, len(r.err)-40):])
	}
	assertNothingMade(t, filepath.Join(root, "dev"))
}

// A cgroup mount whose destination leaves no room for a hierarchy's name
// fails naming it, where the hierarchy's directory used to be made under
// a cut name (.../blk for blkio).
func TestCLongCgroupDestination(t *testing.T) {
	hs, err := cgroups.Hierarchies()
	if err != nil {
		t.Skipf("the host's cgroup hierarchies: %v", err)
	}
	if len(hs) == 1 && hs[0].Fstype == "cgroup2" && hs[0].MountPoint == "/sys/fs/cgroup" {
		t.Skip("the host has one cgroup2 hierarchy, mounted whole at the destination: no name is joined to it")
	}
	// A destination that fits (4093 bytes with its NUL), with no room
	// for "/" and any hierarchy's name.
	dest := ""
	for len(dest) < 4092-201 {
		dest += "/" + strings.Repeat("d", 200)
	}
	dest += "/" + strings.Repeat("e", 4092-len(dest)-1)
	root := scratch(t)
	r := runPlan(t, newConfig(root, configs.Mount{Source: "cgroup", Destination: dest, Type: "cgroup"}))
	if r.field != "mounts[0]" || !strings.HasPrefix(r.err, "resolve /dddd") || !strings.HasSuffix(r.err, ": file name too long") {
		t.Errorf("got %s: %.120s...%s, want mounts[0]: resolve /ddd.../NAME: file name too long",
			r.field, r.err, r.err[max(0, len(r.err)-40):])
	}
}

// assertNothingMade: dir holds only the names it was made with.
func assertNothingMade(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		found := false
		for _, k := range keep {
			found = found || e.Name() == k
		}
		if !found {
			t.Errorf("%s: %.40s... was made", dir, e.Name())
		}
	}
}

// The bind source of a cgroup hierarchy without a cgroup namespace is
// filepath.Join(mountpoint, filepath.Rel(root, own)), the mount point
// itself when own is outside root: own is cleaned first, so the ".." of a
// cgroup outside the reader's cgroup namespace ("/../x") never climbs out
// of the mount point.
func TestCCgroupBindSource(t *testing.T) {
	const mp = "/sys/fs/cgroup/pids"
	cases := []struct{ root, own, want string }{
		{"/", "/user.slice/c1", mp + "/user.slice/c1"},
		{"/", "/", mp},
		{"/", "-", mp}, // init's cgroup unknown
		{"/", "/../x", mp + "/x"},
		{"/", "/../../../etc", mp + "/etc"},
		{"/", "/a/../../b", mp + "/b"},
		{"/a", "/a/b", mp + "/b"},
		{"/a", "/a", mp},
		{"/a", "/ab", mp},     // a sibling that shares a prefix is not under /a
		{"/a", "/a/../b", mp}, // Rel("/a", "/b") is "../b": outside
		{"/a", "/a/b/../c", mp + "/c"},
		{"/a/", "/a/b", mp + "/b"},
		{"/..", "/../x", mp + "/x"},                        // root, too, as Rel cleans it
		{"/", "relative", mp},                              // Rel refuses it beside an absolute root
		{"/", "/" + strings.Repeat("z", 4095), errTooLong}, // over PATH_MAX
	}
	var in []string
	for _, c := range cases {
		in = append(in, mp+"\t"+c.root+"\t"+c.own)
	}
	for i, got := range rootfsHelper(t, "cgroup-source", in) {
		if c := cases[i]; got != c.want {
			t.Errorf("cgroup_bind_source(%q, %q, %.40q) = %.60q, want %.60q", mp, c.root, c.own, got, c.want)
		}
	}
}
