package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// atimeFlags select the atime mode, which the kernel keeps on a remount
// that names none of them.
const atimeFlags = unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// lockableFlags are the flags the kernel locks on the mounts a less
// privileged user namespace copies (fs/namespace.c, CL_UNPRIVILEGED): they
// may be kept by a remount there, or set, but not cleared or changed.
const lockableFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | atimeFlags

// remountBind gives the bind at t exactly flags: MS_BIND|MS_REMOUNT
// replaces the mount's flags (ro, nosuid, nodev, noexec, nosymfollow) by
// these and keeps its atime mode unless one is given. In a user namespace
// a bind of a mount from a more privileged one carries locked flags: the
// kernel refuses to drop them (EPERM), so they are kept, unless the
// options ask to clear one, which fails as it cannot be honoured.
func remountBind(t *target, m *configs.Mount, flags uintptr, userns bool) error {
	err := unix.Mount("", t.procPath(), "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
	if err != unix.EPERM || !userns {
		return err
	}
	locked, serr := mountFlags(t.procPath())
	if serr != nil {
		return fmt.Errorf("%w (and reading the source's flags: %v)", err, serr) //nolint:errorlint // err is the cause callers test; serr is context
	}
	locked &= lockableFlags
	if c := locked & m.ClearedFlags; c != 0 {
		return fmt.Errorf("options ask to clear %s, which the kernel locked on the source (a mount of a more privileged user namespace): %w", flagNames(c), err)
	}
	if a := flags & atimeFlags; a != 0 && a != locked&atimeFlags {
		return fmt.Errorf("options ask for %s, but the kernel locked the source's atime mode %s: %w", flagNames(a), flagNames(locked&atimeFlags), err)
	}
	if err := unix.Mount("", t.procPath(), "", unix.MS_BIND|unix.MS_REMOUNT|flags|locked, ""); err != nil {
		return fmt.Errorf("with the source's locked flags %s kept: %w", flagNames(locked), err)
	}
	return nil
}

// mountFlags reads the MS_* flags of the mount at path. statfs(2) has no
// bit for strictatime: it is the atime mode when none of the others is set.
func mountFlags(path string) (uintptr, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	var f uintptr
	for _, p := range flagTable {
		if p.st != 0 && uintptr(st.Flags)&p.st != 0 {
			f |= p.ms
		}
	}
	if f&(unix.MS_NOATIME|unix.MS_RELATIME) == 0 {
		f |= unix.MS_STRICTATIME
	}
	return f, nil
}

// flagTable names the mount flags (statfs bit, MS_* flag, mount option).
var flagTable = []struct {
	st, ms uintptr
	name   string
}{
	{unix.ST_RDONLY, unix.MS_RDONLY, "ro"},
	{unix.ST_NOSUID, unix.MS_NOSUID, "nosuid"},
	{unix.ST_NODEV, unix.MS_NODEV, "nodev"},
	{unix.ST_NOEXEC, unix.MS_NOEXEC, "noexec"},
	{unix.ST_NOATIME, unix.MS_NOATIME, "noatime"},
	{unix.ST_NODIRATIME, unix.MS_NODIRATIME, "nodiratime"},
	{unix.ST_RELATIME, unix.MS_RELATIME, "relatime"},
	{0, unix.MS_STRICTATIME, "strictatime"},
}

// flagNames spells flags as mount options ("ro,nosuid").
func flagNames(f uintptr) string {
	var names []string
	for _, p := range flagTable {
		if f&p.ms != 0 {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, ",")
}
