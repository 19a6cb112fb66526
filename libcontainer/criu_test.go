package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-runtime/berth/internal/criurpc"
)

func TestCriuFlags(t *testing.T) {
	for _, m := range []string{"", "soft", "full", "strict", "ignore"} {
		if _, err := criuCgMode(m); err != nil {
			t.Errorf("criuCgMode(%q): %v", m, err)
		}
	}
	if _, err := criuCgMode("bogus"); err == nil || !strings.Contains(err.Error(), "--manage-cgroups-mode") {
		t.Errorf("criuCgMode(bogus): %v, want an error naming the flag", err)
	}
	if f, err := criuEmptyNs([]string{"network"}); err != nil || f == 0 {
		t.Errorf("criuEmptyNs(network) = %#x, %v", f, err)
	}
	if _, err := criuEmptyNs([]string{"pid"}); err == nil || !strings.Contains(err.Error(), "--empty-ns") {
		t.Errorf("criuEmptyNs(pid): %v, want an error naming the flag", err)
	}
	ps, err := pageServer("10.0.0.1:2222")
	if err != nil || ps.GetAddress() != "10.0.0.1" || ps.GetPort() != 2222 {
		t.Errorf("pageServer: %v %v", ps, err)
	}
	for _, bad := range []string{"host", ":1", "h:0", "h:x", "h:70000"} {
		if _, err := pageServer(bad); err == nil {
			t.Errorf("pageServer(%q): no error", bad)
		}
	}
}

func TestCriuErrorLines(t *testing.T) {
	out := []byte("(00.1) vdso: x\n(00.2) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\nok\nError (b)\n")
	got := criuErrorLines(out, 4)
	want := "(00.2) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds; Error (b)"
	if got != want {
		t.Errorf("criuErrorLines = %q, want %q", got, want)
	}
}

func TestCriuNsKey(t *testing.T) {
	// runc's keys, so that images move between the runtimes
	if k := criuNsKey("network"); k != "extRootNetNS" {
		t.Errorf("network: %q", k)
	}
	if k := criuNsKey("pid"); k != "extRootPidNS" {
		t.Errorf("pid: %q", k)
	}
}

func TestAddExtMntOnce(t *testing.T) {
	o := &criurpc.CriuOpts{}
	addExtMnt(o, "/proc/kcore", "/dev/null")
	addExtMnt(o, "proc/kcore/", "/dev/null")
	if len(o.ExtMnt) != 1 || o.ExtMnt[0].GetKey() != "/proc/kcore" {
		t.Errorf("ext mounts: %v", o.ExtMnt)
	}
}

func TestReadDescriptors(t *testing.T) {
	dir := t.TempDir()
	if _, err := readDescriptors(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "--image-path") {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := readDescriptors(dir); err == nil || !strings.Contains(err.Error(), "descriptors.json") {
		t.Errorf("no descriptors.json: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, descriptorsFile), []byte(`["/dev/null","pipe:[7]","pipe:[8]"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	fds, err := readDescriptors(dir)
	if err != nil || len(fds) != 3 || fds[1] != "pipe:[7]" {
		t.Errorf("readDescriptors = %q, %v", fds, err)
	}
}
