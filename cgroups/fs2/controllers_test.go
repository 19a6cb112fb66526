package fs2

import (
	"path/filepath"
	"strings"
	"testing"
)

// A fake hierarchy of plain files: the kernel would turn "+cpu" into the
// list of enabled controllers; here the test sees exactly what was written.
func TestEnableControllers(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"cgroup.controllers":         "cpuset cpu io memory pids\n",
		"cgroup.subtree_control":     "memory pids\n",
		"a/cgroup.controllers":       "cpu memory pids\n",
		"a/cgroup.subtree_control":   "pids\n",
		"a/b/cgroup.controllers":     "cpu memory pids\n",
		"a/b/cgroup.subtree_control": "",
	})
	dir := filepath.Join(root, "a", "b", "c")
	if err := EnableControllers(root, dir, []string{"cpu", "memory", "pids", "memory"}); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"cgroup.subtree_control":     "+cpu",
		"a/cgroup.subtree_control":   "+cpu +memory",
		"a/b/cgroup.subtree_control": "+cpu +memory +pids",
	} {
		// cgfile writes without truncating, as cgroup files want: a
		// plain file keeps the tail of its old content.
		if got := readFile(t, filepath.Join(root, file)); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
	// a has no io in its cgroup.controllers to give.
	err := EnableControllers(root, dir, []string{"io"})
	if err == nil || !strings.Contains(err.Error(), `"io" is not available in `+filepath.Join(root, "a")+" ") {
		t.Fatalf("a has no io to give: error %v", err)
	}
	// ...the levels above already have it and are not written again.
	writeFiles(t, root, map[string]string{"cgroup.subtree_control": "cpu memory pids\n"})
	_ = EnableControllers(root, dir, []string{"cpu"})
	if got := readFile(t, filepath.Join(root, "cgroup.subtree_control")); got != "cpu memory pids\n" {
		t.Errorf("root rewritten: %q", got)
	}
}

func TestEnableControllersErrors(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"cgroup.controllers":     "cpu memory\n",
		"cgroup.subtree_control": "",
	})
	for _, c := range []struct {
		dir   string
		ctrls []string
		err   string
	}{
		{filepath.Join(root, "x"), []string{"hugetlb"}, `the cgroup v2 controller "hugetlb" is not available in ` + root},
		{root, []string{"cpu"}, "is not below the cgroup2 mount"},
		{"/elsewhere/x", []string{"cpu"}, "is not below the cgroup2 mount"},
		{filepath.Join(root, "missing", "x"), []string{"cpu"}, "no such file"},
	} {
		err := EnableControllers(root, c.dir, c.ctrls)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s %v: error %v, want %q", c.dir, c.ctrls, err, c.err)
		}
	}
	if err := EnableControllers(root, "/anywhere", nil); err != nil {
		t.Errorf("nothing to enable: %v", err)
	}
}
