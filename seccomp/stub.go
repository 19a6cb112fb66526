//go:build !linux || !cgo || noseccomp

package seccomp

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// errDisabled is what a profile gets from a berth built without seccomp.
var errDisabled = errors.New("seccomp: this berth was built without seccomp support")

// Filter is a linux.seccomp profile compiled and ready to load. This build
// has no seccomp support, so there never is one.
type Filter struct{}

// Compile refuses any profile: this berth was built without seccomp
// support (the noseccomp tag, or no cgo). A nil profile is fine.
func Compile(s *specs.LinuxSeccomp) (*Filter, error) {
	if s == nil {
		return nil, nil
	}
	return nil, errDisabled
}

// HasNotify is false: there are no filters in this build.
func (f *Filter) HasNotify() bool { return false }

// Ignored is empty: there are no filters in this build.
func (f *Filter) Ignored() []string { return nil }

// Release does nothing.
func (f *Filter) Release() {}

// Enabled is false: this build has no seccomp support.
func Enabled() bool { return false }

// LibraryVersion is empty: this build is not linked with libseccomp.
func LibraryVersion() string { return "" }

// Actions is nil in this build ("unknown" in features.md terms).
func Actions() []string { return nil }

// Operators is nil in this build.
func Operators() []string { return nil }

// Archs is nil in this build.
func Archs() []string { return nil }

// KnownFlags is nil in this build.
func KnownFlags() []string { return nil }

// SupportedFlags is nil in this build.
func SupportedFlags() []string { return nil }

// Program is empty: Compile never returns a Filter in this build.
func (f *Filter) Program() ([]unix.SockFilter, uint64, error) { return nil, 0, nil }
