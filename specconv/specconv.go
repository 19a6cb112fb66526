// Package specconv turns a runtime-spec config.json into the resolved
// configs.Config that init executes. It needs no root and makes no process:
// all validation lives here, so that a user error fails before anything is
// spawned, and every error names the config.json field at fault. Its only
// system calls are libseccomp's, compiling linux.seccomp to check it.
package specconv

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/internal/field"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Options are the command-line choices that shape the conversion.
type Options struct {
	// BundleDir is the absolute bundle path; root.path is relative to it.
	BundleDir string
	// ID is the container ID (the default cgroup path is derived from it).
	ID            string
	NoPivot       bool
	NoNewKeyring  bool
	SystemdCgroup bool
	// Rootless is true when berth runs without root (changes defaults, not validation).
	Rootless bool
	// Warn, if set, receives what the spec says a runtime should accept but
	// warn about (a relative mount destination). Nil discards warnings.
	Warn func(msg string)
}

// Convert validates spec and resolves it into a configs.Config.
func Convert(spec *specs.Spec, opts Options) (*configs.Config, error) {
	return convert(spec, opts)
}

// FieldError is a configuration error of one config.json field.
type FieldError = field.Error

var (
	fieldErr = field.Errorf
	idx      = field.Index
)

// convert is the checklist: each step validates one area of the spec and
// fills its part of the config. The first error stops the conversion.
func convert(spec *specs.Spec, opts Options) (*configs.Config, error) {
	if spec == nil {
		return nil, errors.New("config.json: no spec")
	}
	if !filepath.IsAbs(opts.BundleDir) {
		return nil, fmt.Errorf("bundle: %q is not an absolute path", opts.BundleDir)
	}
	c := &configs.Config{
		Version:       spec.Version,
		NoPivot:       opts.NoPivot,
		NoNewKeyring:  opts.NoNewKeyring,
		SystemdCgroup: opts.SystemdCgroup,
		Rootless:      opts.Rootless,
		Hostname:      spec.Hostname,
		Domainname:    spec.Domainname,
		Annotations:   maps.Clone(spec.Annotations),
	}
	linux := spec.Linux
	if linux == nil {
		// Every Linux field is optional: an absent linux object means no
		// namespaces at all (runtime-spec config-linux.md "Namespaces": the
		// container inherits each runtime namespace).
		linux = &specs.Linux{}
	}
	steps := []func() error{
		func() error { return checkVersion(spec.Version) },
		func() error { return convertRoot(c, spec.Root, opts.BundleDir) },
		func() error { return convertNamespaces(c, linux) },
		func() error { return convertUTS(c) },
		func() error { return convertSysctl(c, linux.Sysctl) },
		func() error { return convertRootPropagation(c, linux.RootfsPropagation) },
		func() error { return convertMounts(c, spec.Mounts, opts) },
		func() error { return checkMountIDs(c, opts) },
		func() error { return convertDevices(c, linux.Devices) },
		func() error { return convertPaths(c, linux) },
		func() error { return convertProcess(c, spec.Process) },
		func() error { return convertLinuxProcess(c, linux) },
		func() error { return convertCgroups(c, linux, opts) },
		func() error { return convertMemoryPolicy(c, linux) },
		func() error { return convertNetDevices(c, linux, opts) },
		func() error { return convertIntelRdt(c, linux, opts) },
		func() error { return convertHooks(c, spec.Hooks) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkVersion accepts any 1.x.y ociVersion (runtime-spec config.md
// "Specification version": SemVer 2.0.0). A bundle of another major version
// may mean anything, so it is refused rather than guessed at.
func checkVersion(v string) error {
	if v == "" {
		return fieldErr("ociVersion", "missing")
	}
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return fieldErr("ociVersion", "%q is not a semver version (major.minor.patch)", v)
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return fieldErr("ociVersion", "%q is not a semver version (major.minor.patch)", v)
		}
	}
	if parts[0] != "1" {
		return fieldErr("ociVersion", "unsupported major version in %q (want 1.x.y)", v)
	}
	return nil
}

// convertRoot resolves root.path against the bundle (runtime-spec config.md
// "Root": relative paths are relative to the bundle). Its existence is
// checked by init, which opens it; specconv stays pure.
func convertRoot(c *configs.Config, root *specs.Root, bundle string) error {
	if root == nil {
		return fieldErr("root", "missing")
	}
	if root.Path == "" {
		return fieldErr("root.path", "missing")
	}
	if err := checkNUL(root.Path); err != nil {
		return &FieldError{Field: "root.path", Err: err}
	}
	p := root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	c.Rootfs = filepath.Clean(p)
	c.Readonly = root.Readonly
	return nil
}

// checkNUL refuses strings that cannot cross a system call.
func checkNUL(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("contains a NUL byte")
	}
	return nil
}

// absPath checks that p is a usable absolute path and returns it cleaned.
func absPath(field, p string) (string, error) {
	if p == "" {
		return "", fieldErr(field, "missing")
	}
	if err := checkNUL(p); err != nil {
		return "", &FieldError{Field: field, Err: err}
	}
	if !filepath.IsAbs(p) {
		return "", fieldErr(field, "%q is not an absolute path", p)
	}
	return filepath.Clean(p), nil
}
