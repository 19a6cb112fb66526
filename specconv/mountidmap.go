package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Id-mapped mounts (config.md "Mounts": uidMappings, gidMappings; "Linux
// mount options": idmap, ridmap). The rules are runc 1.5's: only a bind
// can be id-mapped; mappings come in pairs (uid and gid); mappings alone
// mean idmap; idmap or ridmap alone take the container's own user
// namespace mappings, so they need one; and the mappings need not match
// the container's user namespace, nor need there be one (an id-mapped
// bind in a container without a user namespace shows host files as other
// ids to the host's root).

// convertMountIDMap fills cm.IDMap from the mappings of m (parseMountOptions
// has already seen idmap / ridmap).
func convertMountIDMap(field string, cm *configs.Mount, m specs.Mount, bind bool) error {
	hasUID, hasGID := len(m.UIDMappings) > 0, len(m.GIDMappings) > 0
	if !hasUID && !hasGID && cm.IDMap == nil {
		return nil
	}
	if !bind {
		f := field + ".options"
		if hasUID {
			f = field + ".uidMappings"
		} else if hasGID {
			f = field + ".gidMappings"
		}
		return fieldErr(f, "id-mapped mounts are only supported for bind mounts, not type %q (add bind or rbind to the options)", m.Type)
	}
	if hasUID != hasGID {
		missing := field + ".gidMappings"
		if !hasUID {
			missing = field + ".uidMappings"
		}
		return fieldErr(missing, "missing: an id-mapped mount needs both uidMappings and gidMappings")
	}
	if cm.IDMap == nil {
		// Mappings without idmap or ridmap: the top mount only.
		cm.IDMap = &configs.MountIDMap{}
	}
	if !hasUID {
		return nil // idmap / ridmap alone: resolveMountIDMap
	}
	var err error
	if cm.IDMap.UIDMappings, err = convertIDMaps(field+".uidMappings", m.UIDMappings); err != nil {
		return err
	}
	cm.IDMap.GIDMappings, err = convertIDMaps(field+".gidMappings", m.GIDMappings)
	return err
}

// resolveMountIDMap gives an idmap / ridmap mount without mappings those of
// the container's user namespace: the ones config.json gives it, or, for a
// joined namespace, the namespace itself.
func resolveMountIDMap(c *configs.Config, field string, cm *configs.Mount) error {
	if cm.IDMap == nil || len(cm.IDMap.UIDMappings) > 0 {
		return nil
	}
	path, ok := c.NamespacePath(string(specs.UserNamespace))
	switch {
	case !ok:
		return fieldErr(field+".options", "idmap / ridmap without %s.uidMappings and gidMappings use the container's user namespace mappings, but linux.namespaces has no user namespace: give the mount its own mappings", field)
	case path != "":
		cm.IDMap.UsernsPath = path
	default:
		cm.IDMap.UIDMappings = append([]configs.IDMap(nil), c.UIDMappings...)
		cm.IDMap.GIDMappings = append([]configs.IDMap(nil), c.GIDMappings...)
	}
	return nil
}
