package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/fs"
	"github.com/berth-runtime/berth/cgroups/fs2"
	"github.com/berth-runtime/berth/cgroups/systemd"
	"github.com/berth-runtime/berth/internal/field"
)

// CheckResources refuses linux.resources values that no hierarchy could
// take, without looking at the host: it renders r for every controller of
// both drivers (the renderers do no I/O) and checks what the kernel alone
// would refuse later. specconv calls it, so that such a value fails create
// before any process is spawned; a value that only this host's hierarchy
// refuses (a v1-only field on v2) is left to the manager's Check and Set.
func CheckResources(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := checkNumbers(r); err != nil {
		return err
	}
	for _, c := range fs.Controllers {
		if _, err := fs.Render(c, r); err != nil && !errors.Is(err, cgfile.ErrHierarchy) {
			return err
		}
	}
	for _, c := range append(fs2.Controllers, "unified") {
		if _, err := fs2.Render(c, r); err != nil && !errors.Is(err, cgfile.ErrHierarchy) {
			return err
		}
	}
	return nil
}

// checkNumbers checks what the renderers pass through to the kernel as
// given, and the kernel would refuse with a bare EINVAL: limits below -1
// (the spec's "unlimited") and cpuset lists that are not lists.
func checkNumbers(r *specs.LinuxResources) error {
	if m := r.Memory; m != nil {
		for _, x := range []struct {
			name string
			v    *int64
		}{
			{"limit", m.Limit},
			{"reservation", m.Reservation},
			{"swap", m.Swap},
			{"kernel", m.Kernel},
			{"kernelTCP", m.KernelTCP},
		} {
			if x.v != nil && *x.v < -1 {
				return field.Errorf("linux.resources.memory."+x.name, "%d is negative (-1 means unlimited)", *x.v)
			}
		}
	}
	if c := r.CPU; c != nil {
		if c.Quota != nil && *c.Quota < -1 {
			return field.Errorf("linux.resources.cpu.quota", "%d is negative (-1 means unlimited)", *c.Quota)
		}
		for _, x := range []struct{ name, list string }{{"cpus", c.Cpus}, {"mems", c.Mems}} {
			if x.list == "" {
				continue
			}
			if _, err := systemd.RangeToBits(x.list); err != nil {
				return field.Errorf("linux.resources.cpu."+x.name, "%q is not a list such as 0-3,7: %w", x.list, err)
			}
		}
	}
	return nil
}
