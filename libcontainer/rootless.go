package libcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// What changes when berth runs without root: the checks that turn a
// kernel refusal deep in init into an error naming the config field. The
// cgroups a rootless container may have to do without are placed (or not)
// in cgroup_placement.go.

// checkUnprivileged refuses, before anything is made, what cannot work
// without root: a container without a user namespace (every other
// namespace and mount needs CAP_SYS_ADMIN over one the caller owns), and
// rlimits above the caller's own hard limits (raising one needs
// CAP_SYS_RESOURCE in the host's user namespace).
func checkUnprivileged(cfg *configs.Config, exec bool) error {
	if os.Geteuid() == 0 {
		return nil
	}
	if _, ok := cfg.NamespacePath("user"); !ok && !exec {
		return fmt.Errorf("linux.namespaces: berth runs without root (uid %d), which needs a user namespace: add {\"type\": \"user\"} and mappings of your own ids (`berth spec --rootless` writes such a config)", os.Geteuid())
	}
	if !exec {
		if err := checkIDMapUnprivileged(cfg); err != nil {
			return err
		}
	}
	for _, r := range cfg.Process.Rlimits {
		var cur unix.Rlimit
		if err := unix.Getrlimit(r.Type, &cur); err != nil {
			continue
		}
		if r.Hard > cur.Max {
			return fmt.Errorf("process.rlimits %s: hard limit %d is above your own (%d), which cannot be raised without root", r.Name, r.Hard, cur.Max)
		}
	}
	return nil
}

// rootHint says what to do when a user without root may not write the
// state root (/run/berth, when XDG_RUNTIME_DIR is not set).
func rootHint(err error) string {
	if errors.Is(err, fs.ErrPermission) && os.Geteuid() != 0 {
		return " (without root, set XDG_RUNTIME_DIR or --root to a directory of yours)"
	}
	return ""
}
