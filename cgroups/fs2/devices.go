package fs2

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	// progName marks the device programs berth attaches, so that an update
	// replaces berth's own and leaves any other (systemd's, say) alone: with
	// several programs on a cgroup every one must allow an access, so
	// another's can only restrict further.
	progName = "berth_devices"
	// progLicense is only checked by the kernel for GPL-only helpers, which
	// the program does not call.
	progLicense = "Apache-2.0"
)

// SetDevices enforces rules in dir (v2 has no devices files: an eBPF
// program attached to the cgroup decides each device access), replacing
// the program berth attached there before. No rules means no restriction,
// as on v1, and removes berth's program. See compileDevices for how rules
// combine.
func SetDevices(dir string, rules []specs.LinuxDeviceCgroup) error {
	policy, err := compileDevices(rules)
	if err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	old, err := ourPrograms(fd)
	if err != nil {
		return fmt.Errorf("linux.resources.devices: %s: %w", dir, err)
	}
	defer closeAll(old)
	if len(rules) == 0 {
		return detach(fd, old)
	}
	// Before 5.11 a program's memory counts against RLIMIT_MEMLOCK; since,
	// this does nothing.
	_ = rlimit.RemoveMemlock()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         progName,
		Type:         ebpf.CGroupDevice,
		Instructions: deviceProgram(policy),
		License:      progLicense,
	})
	if err != nil {
		return fmt.Errorf("linux.resources.devices: load the device filter: %w", err)
	}
	// The program stays attached to the cgroup after this fd is closed.
	defer prog.Close()
	opts := link.RawAttachProgramOptions{
		Target:  fd,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	}
	if len(old) == 1 {
		// An atomic swap (5.6+): no moment with both or neither.
		opts.Anchor = link.ReplaceProgram(old[0])
		err := link.RawAttachProgram(opts)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("linux.resources.devices: attach the device filter to %s: %w", dir, err)
		}
		opts.Anchor = nil
	}
	// Attach, then detach the old ones: in between both apply, which only
	// restricts.
	if err := link.RawAttachProgram(opts); err != nil {
		return fmt.Errorf("linux.resources.devices: attach the device filter to %s: %w", dir, err)
	}
	return detach(fd, old)
}

// ourPrograms returns the device programs attached to the cgroup fd whose
// name is progName. Programs the caller may not open (an LSM may keep some
// away) are not berth's and are skipped.
func ourPrograms(fd int) ([]*ebpf.Program, error) {
	res, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, err
	}
	var out []*ebpf.Program
	for _, ap := range res.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) {
			continue // not ours, or detached meanwhile
		}
		if err != nil {
			closeAll(out)
			return nil, err
		}
		if info, err := p.Info(); err == nil && info.Name == progName {
			out = append(out, p)
			continue
		}
		p.Close()
	}
	return out, nil
}

func detach(fd int, progs []*ebpf.Program) error {
	for _, p := range progs {
		err := link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
		if err != nil {
			return fmt.Errorf("linux.resources.devices: detach the previous device filter: %w", err)
		}
	}
	return nil
}

func closeAll(progs []*ebpf.Program) {
	for _, p := range progs {
		p.Close()
	}
}
