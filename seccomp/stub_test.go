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
	if prog, _, err := f.Program(); prog != nil || err != nil {
		t.Fatalf("nil Program = %v, %v", prog, err)
	}
	if Enabled() || Actions() != nil || SupportedFlags() != nil {
		t.Fatal("the stub claims seccomp support")
	}
}
