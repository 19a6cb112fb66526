package libcontainer

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Linux security modules: process.apparmorProfile, process.selinuxLabel
// and linux.mountLabel are applied where the host runs the module, and are
// a clear error where it does not; never silently ignored.

func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// checkLSM refuses settings for a security module the host lacks. It runs
// in the parent before anything is made.
func checkLSM(cfg *configs.Config) error {
	if cfg.Process.ApparmorProfile != "" && !apparmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", cfg.Process.ApparmorProfile)
	}
	if cfg.Process.SelinuxLabel != "" && !selinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", cfg.Process.SelinuxLabel)
	}
	if cfg.MountLabel != "" && !selinuxEnabled() {
		return fmt.Errorf("linux.mountLabel %q: SELinux is not enabled on this host", cfg.MountLabel)
	}
	return nil
}

// setExecLabels asks the security modules to switch the process to its
// profile or label at execve (attr/exec applies on the next exec only).
func setExecLabels(p *configs.Process) error {
	if p.ApparmorProfile != "" {
		path := "/proc/thread-self/attr/apparmor/exec"
		if _, err := os.Stat(path); err != nil {
			path = "/proc/thread-self/attr/exec"
		}
		if err := writeAttr(path, "exec "+p.ApparmorProfile); err != nil {
			return fmt.Errorf("process.apparmorProfile %q: %w", p.ApparmorProfile, err)
		}
	}
	if p.SelinuxLabel != "" {
		if err := writeAttr("/proc/thread-self/attr/exec", p.SelinuxLabel); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: %w", p.SelinuxLabel, err)
		}
	}
	return nil
}

func writeAttr(path, val string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(val))
	return err
}
