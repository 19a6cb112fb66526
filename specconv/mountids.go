package specconv

import (
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// checkMountIDs checks the uid= and gid= options of the mounts against the
// mappings of a new user namespace: the kernel reads them as ids of the
// mounting process's namespace and refuses an unmapped one (EINVAL, with
// no word of which). The gid= of devpts (gid=5 in most configs, the tty
// group) is dropped with a warning instead, as a rootless config mapping
// only the caller's own gid cannot have it and a pty works without it.
func checkMountIDs(c *configs.Config, opts Options) error {
	if p, ok := c.NamespacePath("user"); !ok || p != "" {
		return nil
	}
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.IsBind() || m.Data == "" {
			continue
		}
		var keep []string
		for _, o := range strings.Split(m.Data, ",") {
			key, val, _ := strings.Cut(o, "=")
			maps := c.UIDMappings
			if key == "gid" {
				maps = c.GIDMappings
			} else if key != "uid" {
				keep = append(keep, o)
				continue
			}
			id, err := strconv.ParseUint(val, 10, 32)
			if err != nil || mapped(maps, uint32(id)) {
				keep = append(keep, o)
				continue
			}
			field := idx("mounts", i) + ".options"
			if m.Type == "devpts" && key == "gid" {
				if opts.Warn != nil {
					opts.Warn(field + ": " + o + " dropped: gid " + val + " is not mapped in linux.gidMappings")
				}
				continue
			}
			return fieldErr(field, "%s: %s %s is not mapped in linux.%sMappings of the new user namespace", o, key, val, key)
		}
		m.Data = strings.Join(keep, ",")
	}
	return nil
}

func mapped(maps []configs.IDMap, id uint32) bool {
	for _, m := range maps {
		if id >= m.ContainerID && uint64(id) < uint64(m.ContainerID)+uint64(m.Size) {
			return true
		}
	}
	return false
}
