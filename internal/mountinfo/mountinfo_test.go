package mountinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`/plain`, "/plain"},
		{``, ""},
		{`/a\040b`, "/a b"},
		{`/tab\011x`, "/tab\tx"},
		{`/nl\012x`, "/nl\nx"},
		{`/back\134slash`, `/back\slash`},
		// at the very end of the field: the bug this package replaced
		{`/end\040`, "/end "},
		{`/back\134`, `/back\`},
		{`\040`, " "},
		{`\040\011\012\134`, " \t\n\\"},
		// at the start
		{`\040start`, " start"},
		// not an escape: kept
		{`/short\04`, `/short\04`},
		{`/short\0`, `/short\0`},
		{`/lone\`, `/lone\`},
		{`/notoct\9xx`, `/notoct\9xx`},
		{`/eight\080`, `/eight\080`},
		{`/big\400`, `/big\400`},
		// an escaped backslash followed by digits is one backslash and the digits
		{`/x\134040`, `/x\040`},
	} {
		if got := Unescape(tc.in); got != tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       Info
	}{
		{
			"proc(5)'s example",
			`36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`,
			Info{
				ID: 36, Parent: 35, Major: 98, Minor: 0, Root: "/mnt1", MountPoint: "/mnt2",
				Options: "rw,noatime", Optional: []string{"master:1"}, FSType: "ext3",
				Source: "/dev/root", SuperOptions: "rw,errors=continue",
			},
		},
		{
			"no optional fields",
			`40 22 0:40 / /tmp rw,relatime - tmpfs tmpfs rw,size=1024k`,
			Info{
				ID: 40, Parent: 22, Minor: 40, Root: "/", MountPoint: "/tmp", Options: "rw,relatime",
				FSType: "tmpfs", Source: "tmpfs", SuperOptions: "rw,size=1024k",
			},
		},
		{
			"several optional fields",
			`41 40 0:41 / /a rw shared:7 master:2 propagate_from:3 unbindable - overlay overlay rw,lowerdir=/x`,
			Info{
				ID: 41, Parent: 40, Minor: 41, Root: "/", MountPoint: "/a", Options: "rw",
				Optional: []string{"shared:7", "master:2", "propagate_from:3", "unbindable"},
				FSType:   "overlay", Source: "overlay", SuperOptions: "rw,lowerdir=/x",
			},
		},
		{
			"spaces, tabs, newlines and backslashes in paths, escapes at the ends",
			`50 1 8:1 /sub\040dir\011x /mnt/a\040b\012c\134 rw - ext4 /dev/my\040disk\134 rw,data=ordered`,
			Info{
				ID: 50, Parent: 1, Major: 8, Minor: 1, Root: "/sub dir\tx", MountPoint: "/mnt/a b\nc\\",
				Options: "rw", FSType: "ext4", Source: "/dev/my disk\\", SuperOptions: "rw,data=ordered",
			},
		},
		{
			"a mount point that is only escapes",
			`51 1 0:50 / /\040\011 rw - tmpfs none rw`,
			Info{
				ID: 51, Parent: 1, Minor: 50, Root: "/", MountPoint: "/ \t", Options: "rw",
				FSType: "tmpfs", Source: "none", SuperOptions: "rw",
			},
		},
		{
			"a mount point named -",
			`52 1 0:51 / /- rw - tmpfs - rw`,
			Info{
				ID: 52, Parent: 1, Minor: 51, Root: "/", MountPoint: "/-", Options: "rw",
				FSType: "tmpfs", Source: "-", SuperOptions: "rw",
			},
		},
		{
			"a subtype and a large device number",
			`53 1 259:1048575 / /fuse rw,nosuid shared:9 - fuse.sshfs user@host:/d rw,user_id=0`,
			Info{
				ID: 53, Parent: 1, Major: 259, Minor: 1048575, Root: "/", MountPoint: "/fuse", Options: "rw,nosuid",
				Optional: []string{"shared:9"}, FSType: "fuse.sshfs", Source: "user@host:/d", SuperOptions: "rw,user_id=0",
			},
		},
	} {
		got, err := ParseLine(tc.line)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, line := range []string{
		"garbage",
		"22 1 0:21 / /proc rw,nosuid proc proc rw", // no separator
		"22 1 0:21 / /proc rw,nosuid - proc proc",  // 2 fields after it
		"22 1 0:21 / /proc - proc proc rw",         // 5 before it
		"x 1 0:21 / /proc rw - proc proc rw",       // mount id
		"22 y 0:21 / /proc rw - proc proc rw",      // parent
		"22 1 021 / /proc rw - proc proc rw",       // major:minor
		"22 1 a:21 / /proc rw - proc proc rw",      // major
		"22 1 0:b / /proc rw - proc proc rw",       // minor
	} {
		if _, err := ParseLine(line); err == nil {
			t.Errorf("ParseLine(%q): no error", line)
		} else if !strings.Contains(err.Error(), "mountinfo line") {
			t.Errorf("ParseLine(%q): %v does not say what it parsed", line, err)
		}
	}
}

func TestParse(t *testing.T) {
	text := "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n" +
		"40 22 0:40 / /tmp/a\\040b rw,relatime - tmpfs tmpfs rw\n"
	got, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MountPoint != "/proc" || got[1].MountPoint != "/tmp/a b" || got[1].Parent != 22 {
		t.Errorf("got %+v", got)
	}
	_, err = Parse(strings.NewReader(text + "garbage\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a bad third line: err = %v, want one naming line 3", err)
	}
	// A line longer than bufio's default buffer (overlay's lowerdir lists).
	long := "60 1 0:60 / /o rw - overlay overlay rw,lowerdir=" + strings.Repeat("/l:", 40000) + "\n"
	got, err = Parse(strings.NewReader(long))
	if err != nil || len(got) != 1 || len(got[0].SuperOptions) < 120000 {
		t.Errorf("a long line: %d infos, %v", len(got), err)
	}
}

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	if err := os.WriteFile(path, []byte("22 1 0:21 / /proc rw - proc proc rw\nbad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Read of a bad file: err = %v, want one naming %s", err, path)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: err = %v", err)
	}
}

// The running kernel's own table parses, and holds the mount of / .
func TestReadSelf(t *testing.T) {
	infos, err := Read("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	root := false
	for _, in := range infos {
		ids[in.ID] = true
		root = root || in.MountPoint == "/"
	}
	if !root || len(ids) != len(infos) {
		t.Errorf("%d mounts, / among them: %v, ids unique: %v", len(infos), root, len(ids) == len(infos))
	}
}
