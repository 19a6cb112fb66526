package main

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDefaultSpecCgroupNamespace(t *testing.T) {
	has := func(s *specs.Spec) bool {
		for _, n := range s.Linux.Namespaces {
			if n.Type == specs.CgroupNamespace {
				return true
			}
		}
		return false
	}
	if has(defaultSpec(false)) {
		t.Error("a cgroup namespace on a v1 or hybrid host")
	}
	if !has(defaultSpec(true)) {
		t.Error("no cgroup namespace on a cgroup v2 host")
	}
}
