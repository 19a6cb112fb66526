package fs2

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// EnableControllers makes ctrls available in dir: a v2 cgroup has a
// controller's files only when its parent lists the controller in
// cgroup.subtree_control, and the parent only when its own parent does,
// and so on up to root, the cgroup2 mount point. Each level from root down
// to dir's parent (which must exist) gets "+ctrl" for the controllers it
// lacks, in one write; levels that already have them are not written.
// A controller the kernel or the delegating parent does not offer
// (absent from a level's cgroup.controllers) is an error naming it.
func EnableControllers(root, dir string, ctrls []string) error {
	if len(ctrls) == 0 {
		return nil
	}
	root, dir = filepath.Clean(root), filepath.Clean(dir)
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("cgroup %s is not below the cgroup2 mount %s", dir, root)
	}
	level := root
	for _, part := range strings.Split(rel, "/") {
		if err := enableIn(level, ctrls); err != nil {
			return err
		}
		level = filepath.Join(level, part)
	}
	return nil
}

func enableIn(level string, ctrls []string) error {
	avail, err := cgfile.ReadString(level, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("enable cgroup v2 controllers: %w", err)
	}
	have := strings.Fields(avail)
	for _, c := range ctrls {
		if !slices.Contains(have, c) {
			return fmt.Errorf("the cgroup v2 controller %q is not available in %s (its cgroup.controllers: %q)", c, level, avail)
		}
	}
	on, err := cgfile.ReadString(level, "cgroup.subtree_control")
	if err != nil {
		return fmt.Errorf("enable cgroup v2 controllers: %w", err)
	}
	enabled := strings.Fields(on)
	var add []string
	for _, c := range ctrls {
		if !slices.Contains(enabled, c) && !slices.Contains(add, "+"+c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	val := strings.Join(add, " ")
	err = cgfile.WriteFile(level, "cgroup.subtree_control", val)
	switch {
	case errors.Is(err, unix.EBUSY):
		// cgroup-v2.rst "No Internal Process Constraint".
		return fmt.Errorf("enable %q in %s: the cgroup has processes of its own, and a v2 cgroup that hands controllers to its children may not", val, filepath.Join(level, "cgroup.subtree_control"))
	case err != nil:
		return fmt.Errorf("enable %q in %s: %w", val, filepath.Join(level, "cgroup.subtree_control"), err)
	}
	return nil
}
