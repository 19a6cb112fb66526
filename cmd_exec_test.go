package main

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// exec --cap never reaches the inheritable set (CVE-2022-29162), reaches
// ambient only where inheritable already holds it, and leaves the
// container's own sets untouched.
func TestAddExecCaps(t *testing.T) {
	base := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_KILL"},
		Inheritable: []string{"CAP_NET_ADMIN"},
	}
	got := addExecCaps(base, []string{"net_admin", "CAP_SYS_PTRACE"})
	for name, set := range map[string][]string{"bounding": got.Bounding, "effective": got.Effective, "permitted": got.Permitted} {
		if !slices.Contains(set, "CAP_NET_ADMIN") || !slices.Contains(set, "CAP_SYS_PTRACE") {
			t.Errorf("%s = %v", name, set)
		}
	}
	if !slices.Equal(got.Inheritable, []string{"CAP_NET_ADMIN"}) {
		t.Errorf("inheritable = %v, want the config's only", got.Inheritable)
	}
	if !slices.Equal(got.Ambient, []string{"CAP_NET_ADMIN"}) {
		t.Errorf("ambient = %v, want [CAP_NET_ADMIN]", got.Ambient)
	}
	if !slices.Equal(base.Bounding, []string{"CAP_KILL"}) || base.Ambient != nil {
		t.Errorf("container's sets changed: %+v", base)
	}
	if got := addExecCaps(nil, []string{"CAP_CHOWN"}); got.Inheritable != nil || got.Ambient != nil {
		t.Errorf("without config sets: %+v", got)
	}
}
