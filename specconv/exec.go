package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ConvertProcess resolves the process of an exec: the one of `exec
// --process FILE`, and the one exec's flags make by editing SpecProcess of
// the container's process, so both are checked alike, before any fork.
// What belongs to the container rather than the process (its seccomp
// profile) is taken from the container's own config.
func ConvertProcess(p *specs.Process, container *configs.Config) (*configs.Process, error) {
	c := &configs.Config{}
	if err := convertProcess(c, p); err != nil {
		return nil, err
	}
	c.Process.Seccomp = container.Process.Seccomp
	return &c.Process, nil
}

// SpecProcess is the runtime-spec process that ConvertProcess turns back
// into p (all but the container-wide seccomp and listen fds, which an exec
// does not take from its process). The slices are copied: editing the
// result leaves p as it is.
func SpecProcess(p *configs.Process) *specs.Process {
	sp := &specs.Process{
		Terminal: p.Terminal,
		User: specs.User{
			UID:            p.UID,
			GID:            p.GID,
			Umask:          p.Umask,
			AdditionalGids: append([]uint32(nil), p.AdditionalGids...),
		},
		Args:            append([]string(nil), p.Args...),
		Env:             append([]string(nil), p.Env...),
		Cwd:             p.Cwd,
		NoNewPrivileges: p.NoNewPrivileges,
		ApparmorProfile: p.ApparmorProfile,
		SelinuxLabel:    p.SelinuxLabel,
		IOPriority:      p.IOPriority,
		Scheduler:       p.Scheduler,
		ExecCPUAffinity: p.ExecCPUAffinity,
	}
	if p.Terminal && (p.ConsoleWidth != 0 || p.ConsoleHeight != 0) {
		sp.ConsoleSize = &specs.Box{Width: uint(p.ConsoleWidth), Height: uint(p.ConsoleHeight)}
	}
	if p.Capabilities != nil {
		c := *p.Capabilities
		sp.Capabilities = &c
	}
	for _, r := range p.Rlimits {
		name := r.Name
		if name == "" {
			name = rlimitName(r.Type)
		}
		sp.Rlimits = append(sp.Rlimits, specs.POSIXRlimit{Type: name, Soft: r.Soft, Hard: r.Hard})
	}
	return sp
}

// rlimitName is the config.json name of resource number t (a state saved
// without names).
func rlimitName(t int) string {
	for name, n := range rlimitTypes {
		if n == t {
			return name
		}
	}
	return ""
}
