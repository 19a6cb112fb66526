package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ConvertProcess resolves the process of an exec (`exec --process FILE`).
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
