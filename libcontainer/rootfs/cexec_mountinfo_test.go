package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// What the C stage reads from its own mount namespace's mountinfo at the
// step that needs it (nsenter/mountinfo.c), not from the parent's at
// compile time: the mounts here are made after the plan is compiled (and
// only the namespace rootfsrun runs in, a copy of the test's, has them
// when it runs).

// hostMount mounts, in the test's mount namespace, until the test ends.
func hostMount(t *testing.T, src, dst, fstype string, flags uintptr) {
	t.Helper()
	mkdirs(t, dst)
	if err := unix.Mount(src, dst, fstype, flags, ""); err != nil {
		t.Fatalf("mount %s on %s: %v", src, dst, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dst, unix.MNT_DETACH) })
}

// outsideLine is rootfsrun's "outside:PATH" answer: "FSTYPE TAGS" of the
// last mount at PATH in the whole namespace after the steps, or "none".
func outsideLine(t *testing.T, r result, path string) string {
	t.Helper()
	for _, l := range strings.Split(r.out, "\n") {
		if rest, ok := strings.CutPrefix(l, path+" "); ok {
			return rest
		}
	}
	t.Fatalf("no answer for %s in\n%s", path, r.out)
	return ""
}

// --no-pivot detaches every whole procfs and sysfs outside the rootfs that
// the namespace holds when the root is entered, here ones mounted after
// compile, and leaves the rootfs's own, a bind of a procfs subdirectory
// (which does not make procfs fully visible) and the test's namespace alone.
func TestCRootfsNoPivotHidesPseudoFS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	root := scratch(t, "marker=here", "dev")
	cfg := newConfig(root, configs.Mount{Source: "proc", Destination: "/proc", Type: "proc"})
	cfg.NoPivot = true
	b := compileRootfs(t, cfg)
	out := t.TempDir()
	proc, sys, sub := filepath.Join(out, "p"), filepath.Join(out, "with space", "s"), filepath.Join(out, "with space", "b")
	hostMount(t, "proc", proc, "proc", 0)
	hostMount(t, "sysfs", sys, "sysfs", 0)
	hostMount(t, "/proc/sys", sub, "", unix.MS_BIND)
	r := runPlanBytes(t, b, "stat:/marker", "outside:"+proc, "outside:"+sys, "outside:"+sub, "outside:/sys")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	if !strings.Contains(r.out, "/marker regular file") {
		t.Fatalf("not in the rootfs:\n%s", r.out)
	}
	// A space in a path: mountinfo's escape (\040) undone (and the bind,
	// left alone, shows the lookup finds such a path). The old root's
	// /proc is not asked about: the rootfs, moved onto /, shows its own
	// /proc at that path too.
	for _, mp := range []string{proc, sys, "/sys"} {
		if got := outsideLine(t, r, mp); got != "none" && !strings.HasPrefix(got, "tmpfs ") {
			t.Errorf("%s is still there: %s", mp, got)
		}
	}
	if got := outsideLine(t, r, sub); !strings.HasPrefix(got, "proc ") {
		t.Errorf("the bind of /proc/sys at %s was hidden: %s", sub, got)
	}
	if in := mountAt(r, "/proc"); in == nil || in.FSType != "proc" {
		t.Errorf("the rootfs's own /proc is gone: %+v", in)
	}
	// only in rootfsrun's namespace
	for _, mp := range []string{proc, sys, "/proc", "/sys"} {
		var st unix.Statfs_t
		if err := unix.Statfs(mp, &st); err != nil || (st.Type != unix.PROC_SUPER_MAGIC && st.Type != unix.SYSFS_MAGIC) {
			t.Errorf("%s left the test's namespace: %v, type %#x", mp, err, st.Type)
		}
	}
}

// rootfsPropagation shared: before / turns shared, the mount holding the
// rootfs's parent is made private (pivot_root refuses a shared parent, and
// the rootfs's bind must not reach its peers). That mount is found in the
// namespace's mountinfo under the parent's real name: here the rootfs is
// reached through a symlink, and its parent is a (shared) mount of its own,
// made after compile.
func TestCRootfsSharedRootParentPrivate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	base := t.TempDir()
	parent := filepath.Join(base, "real")
	mkdirs(t, filepath.Join(parent, "rootfs", "dev"))
	if err := os.Symlink(parent, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	cfg := newConfig(filepath.Join(base, "link", "rootfs"))
	cfg.RootPropagation = unix.MS_SHARED
	// The mounts only: the old root stays the reader's, so that
	// rootfsrun's whole-namespace view still holds the parent.
	p := plan.New()
	if err := CompilePrepare(cfg, p); err != nil {
		t.Fatalf("compile: %v", err)
	}
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	hostMount(t, parent, parent, "", unix.MS_BIND)
	if err := unix.Mount("", parent, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	r := runPlanBytes(t, b, "outside:"+parent, "outside:/")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	if got := outsideLine(t, r, parent); !strings.HasSuffix(got, " -") {
		t.Errorf("the rootfs's parent mount %s is not private: %s", parent, got)
	}
	if got := outsideLine(t, r, "/"); !strings.Contains(got, "shared:") {
		t.Errorf("/ is not shared: %s", got)
	}
}
