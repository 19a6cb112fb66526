package main

import "testing"

func TestPickRoot(t *testing.T) {
	for _, c := range []struct {
		name     string
		euid     int
		userns   bool
		xdg      string
		user     string
		hasUser  bool
		wantRoot string
	}{
		{"root ignores XDG_RUNTIME_DIR (/run/user/0)", 0, false, "/run/user/0", "root", true, "/run/berth"},
		{"a user with XDG_RUNTIME_DIR", 1000, false, "/run/user/1000", "u", true, "/run/user/1000/berth"},
		{"a user without it", 1000, false, "", "u", true, "/run/berth"},
		{"root in a user namespace (rootless Podman)", 0, true, "/run/user/1000", "u", true, "/run/user/1000/berth"},
		{"root in a user namespace, no USER", 0, true, "/run/user/1000", "", false, "/run/user/1000/berth"},
		{"root in a user namespace whose USER is root", 0, true, "/run/user/0", "root", true, "/run/berth"},
	} {
		if got := pickRoot(c.euid, c.userns, c.xdg, c.user, c.hasUser); got != c.wantRoot {
			t.Errorf("%s: %s, want %s", c.name, got, c.wantRoot)
		}
	}
}

func TestRootlessMode(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "false": false, "0": false} {
		got, err := rootlessMode(v)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := rootlessMode("maybe"); err == nil || err.Error() != `--rootless "maybe": must be true, false or auto` {
		t.Errorf("maybe: %v", err)
	}
}
