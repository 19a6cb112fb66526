//go:build !linux || !cgo || noseccomp

package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestStub(t *testing.T) {
	if f, err := Compile(nil); f != nil || err != nil {
		t.Fatalf("Compile(nil) = %v, %v", f, err)
	}
	_, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	if err == nil || err.Error() != "seccomp: this berth was built without seccomp support" {
		t.Fatalf("Compile = %v", err)
	}
	var f *Filter
	if fd, err := f.Load(); fd != -1 || err != nil {
		t.Fatalf("nil Load = %d, %v", fd, err)
	}
	if Enabled() || Actions() != nil || SupportedFlags() != nil {
		t.Fatal("the stub claims seccomp support")
	}
}
