package libcontainer

import (
	"fmt"
	"os"
	"strings"

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
