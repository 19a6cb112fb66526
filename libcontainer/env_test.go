package libcontainer

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPasswdHome(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "passwd")
	if err := os.WriteFile(p, []byte("root:x:0:0:root:/root:/bin/sh\nbroken\nnohome:x:7:7:::/bin/sh\napp:x:42:42::/home/app:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		uid  uint32
		want string
	}{
		{p, 0, "/root"},
		{p, 42, "/home/app"},
		{p, 7, "/"},    // empty home field
		{p, 1234, "/"}, // not listed
		{filepath.Join(dir, "missing"), 0, "/"},
		{dir, 0, "/"}, // not a regular file
	} {
		if got := passwdHome(tc.path, tc.uid); got != tc.want {
			t.Errorf("passwdHome(%s, %d) = %q, want %q", tc.path, tc.uid, got, tc.want)
		}
	}
}

func TestProcessEnv(t *testing.T) {
	// uid 1234 is in no /etc/passwd that matters here: a missing HOME is "/"
	// unless the host's passwd lists it, which the cases avoid relying on
	// by giving HOME where the value matters.
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"A=1", "B=2", "A=3", "HOME=/h"}, []string{"B=2", "A=3", "HOME=/h"}},
		{[]string{"HOME=/h", "X=", "X=1"}, []string{"HOME=/h", "X=1"}},
		{[]string{"HOME=/a", "HOME=/b"}, []string{"HOME=/b"}},
	} {
		if got := processEnv(tc.in, 1234); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("processEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// missing or empty: added at the end
	got := processEnv([]string{"HOME=", "P=1"}, 4294967294)
	if len(got) != 2 || got[0] != "P=1" || got[1][:5] != "HOME=" || got[1] == "HOME=" {
		t.Errorf("processEnv with an empty HOME = %q", got)
	}
	if got := processEnv(nil, 4294967294); len(got) != 1 || got[0][:5] != "HOME=" {
		t.Errorf("processEnv(nil) = %q", got)
	}
}
