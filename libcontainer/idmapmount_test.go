package libcontainer

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadMountInfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	lines := "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n" +
		"40 22 0:40 / /tmp/a\\040b rw,relatime - tmpfs tmpfs rw\n" +
		"41 40 0:41 / /tmp/a\\040b/sub rw shared:7 master:2 - overlay overlay rw,lowerdir=/x\n" +
		"garbage\n"
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readMountInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []mountInfo{
		{id: 22, mountPoint: "/proc", fstype: "proc"},
		{id: 40, mountPoint: "/tmp/a b", fstype: "tmpfs"},
		{id: 41, mountPoint: "/tmp/a b/sub", fstype: "overlay"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:      "/plain",
		`/a\040b`:     "/a b",
		`/tab\011x`:   "/tab\tx",
		`/back\134`:   `/back\`,
		`/short\04`:   `/short\04`,
		`/notoct\9xx`: `/notoct\9xx`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}
