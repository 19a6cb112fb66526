package fs2

import (
	"errors"
	"fmt"
	"os"

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
	prog, err := loadDeviceProgram(deviceProgram(policy), progName, progLicense)
	if err != nil {
		return fmt.Errorf("linux.resources.devices: load the device filter: %w", err)
	}
	// The cgroup keeps the program attached after this fd is closed.
	defer unix.Close(prog)
	if len(old) == 1 {
		// An atomic swap: no moment with both programs or neither.
		err := attachDeviceProgram(fd, prog, old[0])
		if err == nil {
			return nil
		}
		// EINVAL: a kernel before 5.6, without BPF_F_REPLACE.
		if !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("linux.resources.devices: attach the device filter to %s: %w", dir, err)
		}
	}
	// Attach, then detach the old ones: in between both apply, which only
	// restricts.
	if err := attachDeviceProgram(fd, prog, -1); err != nil {
		return fmt.Errorf("linux.resources.devices: attach the device filter to %s: %w", dir, err)
	}
	return detach(fd, old)
}

// ourPrograms returns fds of the device programs attached to the cgroup
// fd whose name is progName. Programs the caller may not open (an LSM may
// keep some away) are not berth's and are skipped.
func ourPrograms(fd int) ([]int, error) {
	ids, err := attachedDevicePrograms(fd)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, id := range ids {
		p, err := openProgram(id)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOENT) {
			continue // not ours, or detached meanwhile
		}
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("BPF_PROG_GET_FD_BY_ID %d: %w", id, err)
		}
		if name, err := programName(p); err == nil && name == progName {
			out = append(out, p)
			continue
		}
		unix.Close(p)
	}
	return out, nil
}

func detach(fd int, progs []int) error {
	for _, p := range progs {
		if err := detachDeviceProgram(fd, p); err != nil {
			return fmt.Errorf("linux.resources.devices: detach the previous device filter: %w", err)
		}
	}
	return nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
