package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// idmappedBind attaches mounts[i], an id-mapped bind. The runtime makes it
// (libcontainer/idmapmount.go: only the host's credentials may id-map the
// source's filesystem) and hands init the detached mount, which init moves
// onto the destination, held open inside the rootfs so that no symlink
// sends it elsewhere. The bind's flags and propagation follow as for any
// bind.
func idmappedBind(rootfd, i int, m *configs.Mount, userns bool, open SourceOpener) error {
	if open == nil {
		return fmt.Errorf("id-mapped mount of %s: no runtime to make it", m.Source)
	}
	fd, err := open(i)
	if err != nil {
		return fmt.Errorf("id-mapped mount of %s: %w", m.Source, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return wrap("stat the id-mapped mount of", m.Source, err)
	}
	t, err := ensureIn(rootfd, m.Destination, st.Mode&unix.S_IFMT != unix.S_IFDIR)
	if err != nil {
		return fmt.Errorf("mount destination: %w", err)
	}
	defer t.close()
	if err := unix.MoveMount(fd, "", t.fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return wrap("attach the id-mapped mount of "+m.Source+" on", m.Destination, err)
	}
	return setBindFlags(t, m, userns)
}
