package systemd

import (
	"strings"
	"testing"
)

func TestExpandSlice(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"system.slice", "/system.slice", ""},
		{"a-b.slice", "/a.slice/a-b.slice", ""},
		{"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice", ""},
		{"machine-libpod_pod.slice", "/machine.slice/machine-libpod_pod.slice", ""},
		{"-.slice", "/", ""},
		{"a--b.slice", "", "empty part"},
		{"-a.slice", "", "empty part"},
		{"a-.slice", "", "empty part"},
		{".slice", "", "not a slice name"},
		{"system", "", "not a slice name"},
		{"a/b.slice", "", "not a slice name"},
	} {
		got, err := ExpandSlice(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ExpandSlice(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseUnit(t *testing.T) {
	for _, tc := range []struct {
		path     string
		rootless bool
		name     string
		slice    string
		cgroup   string // under manager cgroup "/"
		err      string
	}{
		{"system.slice:docker:abc", false, "docker-abc.scope", "system.slice", "/system.slice/docker-abc.scope", ""},
		{":berth:abc", false, "berth-abc.scope", "system.slice", "/system.slice/berth-abc.scope", ""},
		{":berth:abc", true, "berth-abc.scope", "user.slice", "/user.slice/berth-abc.scope", ""},
		{
			"kubepods-besteffort-pod1.slice:cri-containerd:c1", false, "cri-containerd-c1.scope", "kubepods-besteffort-pod1.slice",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope", "",
		},
		{"machine.slice::x", false, "-x.scope", "machine.slice", "/machine.slice/-x.scope", ""},
		{"system.slice:ignored:a-b.slice", false, "a-b.slice", "system.slice", "/a.slice/a-b.slice", ""},
		{"system.slice:p", false, "", "", "", "want slice:prefix:name"},
		{"a:b:c:d", false, "", "", "", "want slice:prefix:name"},
		{"system.slice:p:", false, "", "", "", "name part is empty"},
		{"system.slice:p:a/b", false, "", "", "", "cannot hold '/'"},
		{"system:p:n", false, "", "", "", "not a slice name"},
		{"a--b.slice:p:n", false, "", "", "", "empty part"},
		{"system.slice:p:bad--x.slice", false, "", "", "", "empty part"},
	} {
		u, err := ParseUnit(tc.path, tc.rootless)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "linux.cgroupsPath") {
				t.Errorf("ParseUnit(%q) = %+v, %v; want a linux.cgroupsPath error with %q", tc.path, u, err, tc.err)
			}
			continue
		}
		if err != nil || u.Name != tc.name || u.Slice != tc.slice {
			t.Errorf("ParseUnit(%q, %v) = %+v, %v; want %s in %s", tc.path, tc.rootless, u, err, tc.name, tc.slice)
			continue
		}
		if got := u.CgroupPath("/"); got != tc.cgroup {
			t.Errorf("%q: CgroupPath(/) = %q, want %q", tc.path, got, tc.cgroup)
		}
	}
}

func TestCgroupPathUserManager(t *testing.T) {
	u, err := ParseUnit(":berth:c1", true)
	if err != nil {
		t.Fatal(err)
	}
	got := u.CgroupPath("/user.slice/user-1000.slice/user@1000.service")
	want := "/user.slice/user-1000.slice/user@1000.service/user.slice/berth-c1.scope"
	if got != want {
		t.Errorf("CgroupPath = %q, want %q", got, want)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]int{
		`"252.38-1~deb12u1"`: 252, "v245.4-1.fc32": 245, "245": 245, `"v257"`: 257, "": 0, "x": 0,
	} {
		if got := ParseVersion(in); got != want {
			t.Errorf("ParseVersion(%q) = %d, want %d", in, got, want)
		}
	}
}
