package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Where the parent puts the nsenter stage's pid: in the cgroups create
// made for the container (cgroups.go), in those of the running container
// for exec, or, rootless without a cgroup the user may write, in none of
// its own.

// prepareCgroups makes the cgroups of a new container and sets their
// limits (makeCgroups), while init's nsenter stage is starting.
func (sp *spawner) prepareCgroups() error {
	if sp.exec {
		return nil
	}
	if sp.o.Config.Rootless {
		dropDeviceRules(sp.o.Config)
	}
	m, err := sp.c.makeCgroups()
	if err == nil {
		sp.cgroups = m
	}
	return sp.tolerateCgroups(err)
}

// placeInCgroups puts the nsenter stage's pid in the container's cgroups
// (create) or in those of the running container (exec).
func (sp *spawner) placeInCgroups(pid int) error {
	switch {
	case sp.exec:
		return sp.tolerateCgroups(sp.c.joinCgroups(pid, sp.subCgroups))
	case sp.cgroups == nil: // rootless, without a cgroup of its own
		return nil
	}
	return sp.tolerateCgroups(sp.cgroups.Apply(pid))
}

// tolerateCgroups: in rootless mode a cgroup the user may not create or
// write is no failure: the container runs in berth's own cgroups (as runc
// does on cgroup v1), with a warning when it asked for resource limits
// that are then not applied. A cgroup the user can write (delegated to it)
// is used as for root.
func (sp *spawner) tolerateCgroups(err error) error {
	if err == nil || !sp.o.Config.Rootless || !permissionError(err) {
		return err
	}
	if !sp.exec {
		// Whatever was made before the refusal goes; the container then
		// has no cgroup of its own.
		_ = sp.c.destroyCgroups()
		sp.c.State.CgroupPaths, sp.c.State.CgroupCreated = nil, nil
		sp.cgroups = nil
	}
	if hasLimits(sp.o.Config.Resources) || sp.exec {
		sp.warn(fmt.Sprintf("rootless: %v: the container runs without a cgroup of its own and without its resource limits (give the user a writable cgroup for them)", err))
	}
	return nil
}

// dropDeviceRules leaves the device cgroup alone in rootless mode, as runc
// does in a user namespace: programming it needs CAP_SYS_ADMIN in the
// host's user namespace (devices.allow on v1, a BPF program on v2), so
// even a cgroup delegated to the user would be refused, and it guards
// nothing there: the container's device nodes are bind mounts of the
// host's, which the user can open or not anyway.
func dropDeviceRules(cfg *configs.Config) {
	if cfg.Resources == nil || len(cfg.Resources.Devices) == 0 {
		return
	}
	r := *cfg.Resources
	r.Devices = nil
	cfg.Resources = &r
}

// permissionError: the refusals of a cgroup tree the user does not own.
func permissionError(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS)
}

// hasLimits: resources that a cgroup would have enforced. Device rules
// do not count: without root a container gets no device node that the
// user could not open anyway (they are bind mounts of the host's).
func hasLimits(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	return r.Memory != nil || r.CPU != nil || r.Pids != nil || r.BlockIO != nil ||
		len(r.HugepageLimits) > 0 || r.Network != nil || len(r.Rdma) > 0 || len(r.Unified) > 0
}

func (sp *spawner) warn(msg string) {
	if sp.o.Warn != nil {
		sp.o.Warn(msg)
	}
}
