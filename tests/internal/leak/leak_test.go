package leak

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	before := []string{
		"cgroup\t/sys/fs/cgroup/pids/c1\t-",
		"proc\t10:555\tS child: sleep 1000",
		"proc\t11:556\tZ child: ",
		"fd\t3\tpipe:[1]",
	}
	after := []string{
		"cgroup\t/sys/fs/cgroup/pids/c2\t-", // new: a leak
		"proc\t10:555\tZ child: ",           // became a zombie: a leak
		"proc\t11:556\tZ child: ",           // was a zombie already
		"proc\t12:600\tS env: init",         // new
		"fd\t3\tpipe:[2]",                   // same fd number, another pipe: same key
	}
	want := []string{after[0], after[1], after[3]}
	if got := Diff(before, after); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	if pid, ok := Killable("proc\t12:600\tS env: init"); !ok || pid != 12 {
		t.Errorf("a berth init of the test is killable")
	}
	if _, ok := Killable("proc\t13:601\tS cmdline: bats /x/y"); ok {
		t.Errorf("a process that only names the test's paths is not killable")
	}
}

func TestNamesID(t *testing.T) {
	s := &Scope{IDs: []string{"bt3-77"}, Paths: []string{"/tmp/bats/test/3"}}
	for p, want := range map[string]bool{
		"/sys/fs/cgroup/pids/bt3-77":      true,
		"/sys/fs/cgroup/pids/bt3-77-2/x":  true,
		"/sys/fs/cgroup/pids/xbt3-77":     false,
		"/sys/fs/cgroup/pids/bt3-7":       false,
		"/tmp/bats/test/3/root/bt3-77-9":  true,
		"/tmp/bats/test/30/bundle/rootfs": false,
	} {
		if got := s.namesID(p) || s.underPaths(p); got != want {
			t.Errorf("%s in scope: %v, want %v", p, got, want)
		}
	}
}

// A snapshot of this process's own scope: its fds and the host's device
// nodes are there, and nothing of a container.
func TestSnapshotOwnFds(t *testing.T) {
	s := &Scope{IDs: []string{"leaktest-nothing-has-this-id"}, Parent: os.Getpid()}
	snap := s.Snapshot()
	fds := 0
	for _, l := range snap {
		switch {
		case strings.HasPrefix(l, "fd\t"):
			fds++
		case strings.HasPrefix(l, "hostdev\t"):
		default:
			t.Errorf("unexpected %q", l)
		}
	}
	if fds < 3 {
		t.Errorf("%d fds of this process in its snapshot", fds)
	}
}

func TestHostDevicesKeyedByMode(t *testing.T) {
	s := &Scope{}
	var null string
	for _, l := range s.hostDevices() {
		if strings.HasPrefix(l, "hostdev\t/dev/null ") {
			null = l
		}
	}
	if null == "" {
		t.Skip("no /dev/null here")
	}
	changed := strings.Replace(null, " mode ", " mode 9", 1)
	if d := Diff([]string{null}, []string{changed}); len(d) != 1 {
		t.Fatalf("a changed mode is not reported: %q", d)
	}
	if d := Diff([]string{null}, []string{null}); len(d) != 0 {
		t.Fatalf("an unchanged node is reported: %q", d)
	}
}
