//go:build linux && cgo && !noseccomp

package seccomp

import (
	"errors"
	"slices"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// These answer runtime-spec features.md "linux.seccomp".

// Enabled reports whether this build has seccomp support.
func Enabled() bool { return true }

// LibraryVersion is the version of libseccomp berth is linked with, for
// the io.github.seccomp.libseccomp.version annotation of `features`.
func LibraryVersion() string { return libVersion() }

// Actions lists the actions this libseccomp and kernel support.
func Actions() []string {
	var out []string
	level := apiLevel()
	for _, name := range actionNames {
		if level >= actionAPI[actions[name]] {
			out = append(out, name)
		}
	}
	return out
}

// Operators lists the argument comparison operators.
func Operators() []string {
	var out []string
	for name := range opNames {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Archs lists the architectures this libseccomp knows.
func Archs() []string {
	var out []string
	for _, name := range archNames {
		f, err := libseccomp.NewFilter(libseccomp.ActAllow)
		if err != nil {
			return nil
		}
		// EDOM: known, but of the other byte order than the native
		// architecture, so it cannot share its filter.
		if err := addArch(f, name); err == nil || errors.Is(err, unix.EDOM) {
			out = append(out, name)
		}
		f.Release()
	}
	return out
}

// KnownFlags lists the flags berth knows.
func KnownFlags() []string { return slices.Clone(flagNames) }

// SupportedFlags lists the flags that both this kernel and this libseccomp
// can apply.
func SupportedFlags() []string {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil
	}
	defer f.Release()
	var out []string
	for _, name := range flagNames {
		if setFlag(f, name) == nil {
			out = append(out, name)
		}
	}
	return out
}
