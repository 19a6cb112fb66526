package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/seccomp"
)

// perLinux32 is PER_LINUX32 from <linux/personality.h>, which x/sys/unix
// does not define.
const perLinux32 = 0x0008

// convertLinuxProcess copies the linux fields that configure the process:
// seccomp, personality and the mount label.
func convertLinuxProcess(c *configs.Config, l *specs.Linux) error {
	if err := checkSeccomp(l.Seccomp); err != nil {
		return err
	}
	c.Process.Seccomp = l.Seccomp
	c.MountLabel = l.MountLabel
	if l.Personality == nil {
		return nil
	}
	// config-linux.md "Personality": LINUX or LINUX32, and no flag is
	// defined yet, so any flag is an unsupported value.
	var p int
	switch l.Personality.Domain {
	case specs.PerLinux:
		p = 0 // PER_LINUX
	case specs.PerLinux32:
		p = perLinux32
	case "":
		return fieldErr("linux.personality.domain", "missing")
	default:
		return fieldErr("linux.personality.domain", "unknown domain %q (want LINUX or LINUX32)", l.Personality.Domain)
	}
	if len(l.Personality.Flags) > 0 {
		return fieldErr("linux.personality.flags[0]", "unsupported flag %q", l.Personality.Flags[0])
	}
	c.Personality = &p
	return nil
}

// checkSeccomp compiles linux.seccomp and throws the result away: the
// compiler is the only complete check of a profile (syscall names,
// architectures, flags and actions as this libseccomp and kernel know
// them), and running it here makes a bad profile an error of create
// before init exists. Init compiles the profile again to load it.
func checkSeccomp(s *specs.LinuxSeccomp) error {
	f, err := seccomp.Compile(s)
	if err != nil {
		return err
	}
	f.Release()
	return nil
}

// convertPaths checks linux.maskedPaths and linux.readonlyPaths: absolute
// paths inside the container (config-linux.md "Masked Paths", "Readonly
// Paths"), copied as given; init resolves them inside the rootfs.
func convertPaths(c *configs.Config, l *specs.Linux) error {
	for i, p := range l.MaskedPaths {
		if _, err := absPath(idx("linux.maskedPaths", i), p); err != nil {
			return err
		}
	}
	for i, p := range l.ReadonlyPaths {
		if _, err := absPath(idx("linux.readonlyPaths", i), p); err != nil {
			return err
		}
	}
	c.MaskedPaths = l.MaskedPaths
	c.ReadonlyPaths = l.ReadonlyPaths
	return nil
}

// convertHooks checks every hook (config.md "POSIX-platform Hooks"): path
// MUST be absolute, and timeout, if set, MUST be greater than zero.
func convertHooks(c *configs.Config, h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	lists := []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart},
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	}
	for _, l := range lists {
		for i, hook := range l.hooks {
			field := idx("hooks."+l.name, i)
			if _, err := absPath(field+".path", hook.Path); err != nil {
				return err
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fieldErr(field+".timeout", "%d is not greater than zero", *hook.Timeout)
			}
			if err := checkStrings(field+".args", hook.Args); err != nil {
				return err
			}
			if err := checkStrings(field+".env", hook.Env); err != nil {
				return err
			}
		}
	}
	c.Hooks = h
	return nil
}

// checkStrings refuses a NUL byte in any element of the array field.
func checkStrings(field string, list []string) error {
	for i, s := range list {
		if err := checkNUL(s); err != nil {
			return &FieldError{Field: idx(field, i), Err: err}
		}
	}
	return nil
}
