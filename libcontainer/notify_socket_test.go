package libcontainer

import (
	"strings"
	"testing"
)

func TestReadyLine(t *testing.T) {
	for _, tc := range []struct {
		msg, want string
		ok        bool
	}{
		{"READY=1", "READY=1", true},
		{"READY=1\n", "READY=1", true},
		{"READY=1\nSTATUS=serving", "READY=1", true},
		// sd_notify(3) allows any order of the assignments in a datagram
		{"STATUS=starting\nREADY=1", "READY=1", true},
		{"STATUS=starting", "", false},
		{"WATCHDOG=1\nNOTREADY=1", "", false},
		{"", "", false},
	} {
		got, ok := readyLine([]byte(tc.msg))
		if got != tc.want || ok != tc.ok {
			t.Errorf("readyLine(%q) = %q, %v; want %q, %v", tc.msg, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNotifyAddr(t *testing.T) {
	for _, tc := range []struct {
		host, want, err string
	}{
		{"/run/systemd/notify", "/run/systemd/notify", ""},
		{"@abstract", "\x00abstract", ""},
		{"relative.sock", "", "must be an absolute path"},
		{"@", "", "must be an absolute path"},
		{"", "", "must be an absolute path"},
		{"/" + strings.Repeat("x", 106), "/" + strings.Repeat("x", 106), ""},
		{"/" + strings.Repeat("x", 107), "", "longer than the 107 bytes"},
	} {
		a, err := notifyAddr(tc.host)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("notifyAddr(%q): error %v, want one saying %q", tc.host, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("notifyAddr(%q): %v", tc.host, err)
		case tc.err == "" && a.Name != tc.want:
			t.Errorf("notifyAddr(%q) = %q, want %q", tc.host, a.Name, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "NOTIFY_SOCKET") {
			t.Errorf("notifyAddr(%q): error %q does not name NOTIFY_SOCKET", tc.host, err)
		}
	}
}
