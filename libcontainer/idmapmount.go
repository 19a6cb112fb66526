package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/mountinfo"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// An id-mapped bind (mounts[].uidMappings / gidMappings, the idmap and
// ridmap options) is made by the parent and attached by init:
//
//	init                               parent
//	mount-source {msg: index}      ->
//	                                   a user namespace holding the mount's
//	                                   mappings (mappingUserns)
//	                                   in the container's mount namespace:
//	                                   open_tree(source, OPEN_TREE_CLONE
//	                                     [| AT_RECURSIVE with rbind])
//	                                   mount_setattr(MOUNT_ATTR_IDMAP, userns
//	                                     [, AT_RECURSIVE with ridmap])
//	                               <-  mount-source-fd + the detached mount
//	move_mount it onto the destination
//	(resolved in the rootfs), then the
//	bind's flags and propagation
//
// The parent does it because it keeps the host's credentials: the kernel
// id-maps a mount only for a caller with CAP_SYS_ADMIN in the user
// namespace that owns the source's filesystem (the host's, for ext4 or a
// host tmpfs), which init, root of the container's user namespace, lacks;
// and the source may be out of that root's reach. init attaches it, as
// only a process in the container's mount namespace can.

// sendIDMappedSource makes the id-mapped copy of mounts[i]'s source and
// sends it to init.
func (sp *spawner) sendIDMappedSource(i int, m *configs.Mount) error {
	userns, err := mappingUserns(m.IDMap)
	if err != nil {
		return fmt.Errorf("mounts[%d]: id-mapped mount of %s: %w", i, m.Source, err)
	}
	defer unix.Close(userns)
	fd, err := inMountNS(sp.pid, func() (int, error) { return idmappedTree(m, userns) })
	if err != nil {
		return fmt.Errorf("mounts[%d]: id-mapped mount of %s on %s: %w", i, m.Source, m.Destination, err)
	}
	defer unix.Close(fd)
	if err := sendMsg(sp.sock, syncMsg{Type: msgMountSourceFd}, fd); err != nil {
		return sp.initFailed(err)
	}
	return nil
}

// idmappedTree clones the source (its submounts too with rbind) into a
// detached mount and id-maps it (every mount of it with ridmap).
func idmappedTree(m *configs.Mount, userns int) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if m.Flags&unix.MS_REC != 0 {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, flags)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree", Path: m.Source, Err: err}
	}
	setFlags := unix.AT_EMPTY_PATH
	if m.IDMap.Recursive {
		setFlags |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
	if err := unix.MountSetattr(fd, "", uint(setFlags), attr); err != nil {
		unix.Close(fd)
		return -1, idmapRefused(m, err)
	}
	return fd, nil
}

// idmapRefused says why the kernel would not id-map the source: it names
// the filesystem types of the mounts that were to be id-mapped, read from
// the mount table of the container's mount namespace (this thread's).
func idmapRefused(m *configs.Mount, err error) error {
	fs := describeFilesystems(m.Source, m.IDMap.Recursive && m.Flags&unix.MS_REC != 0)
	switch {
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("the kernel cannot id-map %s (the filesystem type does not support id-mapped mounts, or the mappings are the filesystem's own): mount_setattr MOUNT_ATTR_IDMAP: %w", fs, err)
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("the kernel does not let berth id-map %s (it needs CAP_SYS_ADMIN in the user namespace that owns the filesystem): mount_setattr MOUNT_ATTR_IDMAP: %w", fs, err)
	}
	return fmt.Errorf("id-map %s: mount_setattr MOUNT_ATTR_IDMAP: %w", fs, err)
}

// describeFilesystems names the filesystem of the mount that holds path
// ("filesystem proc") and, with submounts, those of the mounts below it.
func describeFilesystems(path string, submounts bool) string {
	desc := "its filesystem"
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_MNT_ID, &stx); err != nil || stx.Mask&unix.STATX_MNT_ID == 0 {
		return desc
	}
	mounts, err := mountinfo.Read("/proc/thread-self/mountinfo")
	if err != nil {
		return desc
	}
	var top *mountinfo.Info
	for i := range mounts {
		if uint64(mounts[i].ID) == stx.Mnt_id {
			top = &mounts[i]
		}
	}
	if top == nil {
		return desc
	}
	desc = "filesystem " + top.FSType
	if !submounts {
		return desc
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return desc
	}
	var subs []string
	for _, mi := range mounts {
		if mi.ID != top.ID && strings.HasPrefix(mi.MountPoint, real+"/") {
			subs = append(subs, fmt.Sprintf("%s (filesystem %s)", mi.MountPoint, mi.FSType))
		}
	}
	if len(subs) > 0 {
		desc += ", and its submounts " + strings.Join(subs, ", ")
	}
	return desc
}

// mappingUserns returns an fd of a user namespace with the mount's
// mappings: the joined namespace it names, or a new one. The kernel takes
// the mappings of a mount only as a user namespace, and a user namespace
// exists only while something holds it: a process is made in a new one,
// stopped before it runs anything (ptrace stops it at its execve), the
// maps are written, the namespace is opened and the process killed.
func mappingUserns(idm *configs.MountIDMap) (int, error) {
	if idm.UsernsPath != "" {
		fd, err := unix.Open(idm.UsernsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, &os.PathError{Op: "open the user namespace", Path: idm.UsernsPath, Err: err}
		}
		return fd, nil
	}
	// The tracer of a PTRACE_TRACEME child is the thread that forked it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := os.StartProcess("/proc/self/exe", []string{"berth-idmap-holder"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysIDMaps(idm.UIDMappings),
			GidMappings: sysIDMaps(idm.GIDMappings),
			Ptrace:      true,
			Pdeathsig:   unix.SIGKILL,
		},
	})
	if errors.Is(err, unix.EPERM) {
		// PTRACE_TRACEME fails in a child that a tracer of berth (strace
		// -f, a debugger) has attached to already.
		return -1, fmt.Errorf("a user namespace with the mount's mappings: its holder process, stopped with ptrace, could not be made (is berth itself being traced?): %w", err)
	}
	if err != nil {
		return -1, fmt.Errorf("a user namespace with the mount's mappings: %w", err)
	}
	defer func() {
		_ = p.Kill()
		_, _ = p.Wait()
	}()
	path := "/proc/" + strconv.Itoa(p.Pid) + "/ns/user"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open the mappings' user namespace", Path: path, Err: err}
	}
	return fd, nil
}

func sysIDMaps(maps []configs.IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, 0, len(maps))
	for _, m := range maps {
		out = append(out, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
	}
	return out
}

// checkIDMapUnprivileged refuses id-mapped mounts to a runtime without
// root: runc 1.5 does too. The kernel id-maps only for a caller with
// CAP_SYS_ADMIN over the source's filesystem, which a user's own user
// namespace gives over nothing on the host, and the mapping's user
// namespace would need newuidmap. Root in a user namespace (a rootless
// engine's) goes on: the kernel judges its sources.
func checkIDMapUnprivileged(cfg *configs.Config) error {
	for i, m := range cfg.Mounts {
		if m.IDMap != nil {
			return fmt.Errorf("mounts[%d]: id-mapped mounts are not supported for rootless containers: berth runs without root (uid %d), and the kernel id-maps only for a caller with CAP_SYS_ADMIN over the source's filesystem", i, os.Geteuid())
		}
	}
	return nil
}
