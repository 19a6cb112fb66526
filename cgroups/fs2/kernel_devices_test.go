package fs2

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// attachedNames lists the names of the device programs attached to dir.
func attachedNames(t *testing.T, dir string) []string {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ids, err := attachedDevicePrograms(fd)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, id := range ids {
		p, err := openProgram(id)
		if err != nil {
			t.Fatal(err)
		}
		name, err := programName(p)
		unix.Close(p)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// attachOther attaches an allow-everything device program that is not
// berth's, as systemd might have.
func attachOther(t *testing.T, dir string) {
	t.Helper()
	prog, err := loadDeviceProgram([]insn{mov32imm(r0, 1), exit()}, "other_filter", "Apache-2.0")
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(prog)
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := attachDeviceProgram(fd, prog, -1); err != nil {
		t.Fatal(err)
	}
}

// access tries, from a shell in dir, to write /dev/null, read /dev/zero
// and mknod a c 1:5 node, and says which worked ("null zero mknod").
func access(t *testing.T, dir string) string {
	t.Helper()
	node := filepath.Join(t.TempDir(), "zero")
	var ok []string
	for _, c := range []struct{ name, script string }{
		{"null", "echo x >/dev/null"},
		{"zero", "head -c 1 /dev/zero"},
		{"mknod", "mknod " + node + " c 1 5 && rm " + node},
	} {
		out, worked := runIn(t, dir, c.script)
		if worked {
			ok = append(ok, c.name)
		} else if !strings.Contains(out, "not permitted") {
			t.Errorf("%s failed otherwise than with EPERM: %s", c.name, out)
		}
	}
	return strings.Join(ok, " ")
}

func TestKernelDevices(t *testing.T) {
	dir := testCgroup(t)
	c := func(allow bool, minor int64, acc string) specs.LinuxDeviceCgroup {
		return rule(allow, "c", 1, minor, acc)
	}
	denyAll := rule(false, "a", -2, -2, "rwm")
	if got := access(t, dir); got != "null zero mknod" {
		t.Fatalf("before any filter: %q work", got)
	}
	attachOther(t, dir)
	for _, step := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  string
	}{
		{"only /dev/null", []specs.LinuxDeviceCgroup{denyAll, c(true, 3, "rw")}, "null"},
		{"mknod of any char device too", []specs.LinuxDeviceCgroup{denyAll, c(true, 3, "rw"), rule(true, "c", -1, -1, "m")}, "null mknod"},
		{"replaced: only /dev/zero", []specs.LinuxDeviceCgroup{denyAll, c(true, 5, "r")}, "zero"},
		{"a deny after a wildcard allow", []specs.LinuxDeviceCgroup{rule(true, "a", -2, -2, ""), c(false, 5, "r")}, "null mknod"},
		{"write only is not read", []specs.LinuxDeviceCgroup{denyAll, c(true, 3, "w"), c(true, 5, "w")}, "null"},
		{"no rules: no filter", nil, "null zero mknod"},
	} {
		if err := SetDevices(dir, step.rules); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := access(t, dir); got != step.want {
			t.Errorf("%s: %q work, want %q", step.name, got, step.want)
		}
		want := []string{"berth_devices", "other_filter"}
		if step.rules == nil {
			want = want[1:]
		}
		if got := attachedNames(t, dir); !slices.Equal(got, want) {
			t.Errorf("%s: attached %q, want %q", step.name, got, want)
		}
	}
}
