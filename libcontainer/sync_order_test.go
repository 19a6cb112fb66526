package libcontainer

import (
	"strings"
	"testing"
)

func TestSyncOrder(t *testing.T) {
	for _, seq := range [][]string{
		{msgNsenter, msgPid, msgReady},
		{msgNsenter, msgPid, msgMountSource, msgMountSource, msgHooks, msgConsole, msgWarning, msgSeccomp, msgReady},
		{msgNsenter, msgPid, msgConsole, msgWarning, msgReady, msgWarning},
	} {
		s := newSyncState()
		for _, typ := range seq {
			if err := s.advance(typ); err != nil {
				t.Fatalf("%v: %v", seq, err)
			}
		}
	}
	for _, c := range []struct {
		seq  []string
		want string
	}{
		{[]string{msgPid}, "unexpected pid message from init while waiting for the namespaces (expected nsenter)"},
		{[]string{msgNsenter, msgPid, msgConsole, msgHooks}, "unexpected hooks message from init while past the console"},
		{[]string{msgNsenter, msgPid, msgHooks, msgHooks}, "unexpected hooks message from init while past the create hooks"},
		{[]string{msgNsenter, msgPid, msgSeccomp, msgMountSource}, "unexpected mount-source message"},
		{[]string{msgNsenter, msgPid, msgReady, msgReady}, "unexpected ready message from init while waiting for execve (expected warning)"},
		{[]string{msgNsenter, msgPid, msgHooksDone}, "unexpected hooks-done message"},
	} {
		s := newSyncState()
		var err error
		for _, typ := range c.seq {
			if err = s.advance(typ); err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.seq, err, c.want)
		}
	}
}
