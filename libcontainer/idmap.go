package libcontainer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/internal/subid"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// The uid and gid maps of a new user namespace (user_namespaces(7)).
//
// root writes them itself. Without root the kernel lets a process write
// only one line, mapping its own euid (egid, and then only once setgroups
// is denied, so that dropping a group cannot grant access). Anything more
// goes through the setuid helpers newuidmap and newgidmap (Debian package
// uidmap), which allow the caller's own id and the ranges /etc/subuid and
// /etc/subgid give it. berth checks the mappings against those files
// first, so that a refusal names the id and the file.

// idMapPlan says how the parent writes the maps of init's new user
// namespace.
type idMapPlan struct {
	// uidHelper, gidHelper: the path of newuidmap / newgidmap, or ""
	// to write the map directly.
	uidHelper, gidHelper string
	// setgroupsDeny: write "deny" to /proc/PID/setgroups before the gid
	// map (an unprivileged direct write needs it); init must then not
	// call setgroups.
	setgroupsDeny bool
}

// planIDMaps decides how the maps of cfg are written and checks that the
// caller may write them. nil: there is no map to write (no new user
// namespace).
func planIDMaps(cfg *configs.Config) (*idMapPlan, error) {
	if p, ok := cfg.NamespacePath("user"); !ok || p != "" || len(cfg.UIDMappings) == 0 {
		return nil, nil
	}
	plan := &idMapPlan{}
	if os.Geteuid() == 0 {
		return plan, nil
	}
	uid, gid := os.Geteuid(), os.Getegid()
	name := userName(uid)
	var err error
	if !ownIDOnly(cfg.UIDMappings, uid) {
		plan.uidHelper, err = checkHelperMaps("newuidmap", "/etc/subuid", "uid", cfg.UIDMappings, name, uid)
		if err != nil {
			return nil, fmt.Errorf("linux.uidMappings%w", err)
		}
	}
	if ownIDOnly(cfg.GIDMappings, gid) {
		plan.setgroupsDeny = true
		if n := len(cfg.Process.AdditionalGids); n > 0 {
			return nil, fmt.Errorf("process.user.additionalGids: without root, a user namespace that maps only your own gid %d denies setgroups: map more gids (from /etc/subgid, through newgidmap) to use additional gids", gid)
		}
	} else {
		plan.gidHelper, err = checkHelperMaps("newgidmap", "/etc/subgid", "gid", cfg.GIDMappings, name, gid)
		if err != nil {
			return nil, fmt.Errorf("linux.gidMappings%w", err)
		}
	}
	return plan, nil
}

// ownIDOnly: the one mapping an unprivileged process may write itself.
func ownIDOnly(maps []configs.IDMap, id int) bool {
	return len(maps) == 1 && maps[0].Size == 1 && int(maps[0].HostID) == id
}

// checkHelperMaps checks maps against what the helper will allow (the
// caller's own id alone, or ranges of file) and returns the helper's path.
// The error starts with the index of the mapping at fault (or ": ").
func checkHelperMaps(helper, file, kind string, maps []configs.IDMap, name string, id int) (string, error) {
	who := fmt.Sprintf("%s (%s %d)", name, kind, id)
	if name == "" {
		who = fmt.Sprintf("%s %d", kind, id)
	}
	ranges, err := subid.Read(file, name, id)
	if err != nil {
		return "", fmt.Errorf(": %w", err)
	}
	for i, m := range maps {
		start, size := uint64(m.HostID), uint64(m.Size)
		if size == 1 && int(m.HostID) == id {
			continue
		}
		if subid.Covers(ranges, start, size) {
			continue
		}
		ids := subid.Range{Start: start, Count: size}.String()
		if len(ranges) == 0 {
			return "", fmt.Errorf("[%d]: host %ss %s are not yours to map: %s has no range for %s, who may map only its own %s without root", i, kind, ids, file, who, kind)
		}
		var have []string
		for _, r := range ranges {
			have = append(have, r.String())
		}
		return "", fmt.Errorf("[%d]: host %ss %s are not yours to map: %s gives %s only %s", i, kind, ids, file, who, strings.Join(have, ", "))
	}
	path, err := exec.LookPath(helper)
	if err != nil {
		return "", fmt.Errorf(": mapping more than your own %s %d needs %s (Debian package uidmap): %w", kind, id, helper, err)
	}
	return path, nil
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return ""
}

// writeIDMaps writes the maps of the nsenter stage's new user namespace
// (pid is that stage, waiting for our ack).
func writeIDMaps(pid int, cfg *configs.Config, plan *idMapPlan) error {
	if plan == nil {
		return nil
	}
	base := "/proc/" + strconv.Itoa(pid) + "/"
	if err := writeMap(pid, base+"uid_map", plan.uidHelper, cfg.UIDMappings); err != nil {
		return fmt.Errorf("linux.uidMappings: %w", err)
	}
	if plan.setgroupsDeny {
		if err := os.WriteFile(base+"setgroups", []byte("deny"), 0); err != nil {
			return fmt.Errorf("linux.gidMappings: %w", err)
		}
	}
	if err := writeMap(pid, base+"gid_map", plan.gidHelper, cfg.GIDMappings); err != nil {
		return fmt.Errorf("linux.gidMappings: %w", err)
	}
	return nil
}

// writeMap writes maps to path, or has helper (newuidmap, newgidmap) write
// them for pid.
func writeMap(pid int, path, helper string, maps []configs.IDMap) error {
	if helper != "" {
		args := []string{strconv.Itoa(pid)}
		for _, m := range maps {
			args = append(args, strconv.FormatUint(uint64(m.ContainerID), 10),
				strconv.FormatUint(uint64(m.HostID), 10), strconv.FormatUint(uint64(m.Size), 10))
		}
		cmd := exec.Command(helper, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
		}
		return nil
	}
	var b strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	// The kernel takes the whole map in one write.
	if err := os.WriteFile(path, []byte(b.String()), 0); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// rootIDs are the host uid and gid of the container's root.
func rootIDs(cfg *configs.Config) (int, int) {
	uid, gid := 0, 0
	for _, m := range cfg.UIDMappings {
		if m.ContainerID == 0 {
			uid = int(m.HostID)
		}
	}
	for _, m := range cfg.GIDMappings {
		if m.ContainerID == 0 {
			gid = int(m.HostID)
		}
	}
	return uid, gid
}

// readJoinedIDMaps fills in the mappings of a user namespace joined by path
// that config.json left out, from the namespace itself: pid is the nsenter
// stage, in it by now (its /proc/PID/[ug]id_map read from the host give the
// host ids). So the state records what the container's ids are on the
// host, as a config with mappings would.
func readJoinedIDMaps(pid int, cfg *configs.Config) error {
	if p, _ := cfg.NamespacePath("user"); p == "" {
		return nil
	}
	base := "/proc/" + strconv.Itoa(pid) + "/"
	var err error
	if len(cfg.UIDMappings) == 0 {
		if cfg.UIDMappings, err = readMap(base + "uid_map"); err != nil {
			return err
		}
	}
	if len(cfg.GIDMappings) == 0 {
		cfg.GIDMappings, err = readMap(base + "gid_map")
	}
	return err
}

// readMap parses a /proc/PID/[ug]id_map: "inside outside count" lines.
func readMap(path string) ([]configs.IDMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("joined user namespace: %w", err)
	}
	var maps []configs.IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m configs.IDMap
		if line == "" {
			continue
		}
		if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err != nil {
			return nil, fmt.Errorf("joined user namespace: %s: line %q: %w", path, line, err)
		}
		maps = append(maps, m)
	}
	return maps, nil
}
