package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// SourceOpener asks the runtime for an O_PATH fd of mounts[i].source,
// opened with the host's credentials in the container's mount namespace.
type SourceOpener func(i int) (int, error)

// hostSource stands in for the source of a bind mount that the
// container's root cannot reach: in a user namespace it is an unprivileged
// host uid, and a 0700 directory of the host's root on the way is enough
// to stop it (Kubernetes hostUsers: false, Podman --userns). The runtime
// opens such a source and init binds it through the fd's magic link, which
// path lookup follows without searching the directories above it. It
// returns m itself and -1 when m needs no help, else a copy whose source
// is the fd's path, and the fd to close after the mount.
func hostSource(i int, m *configs.Mount, cfg *configs.Config, open SourceOpener) (*configs.Mount, int, error) {
	// Without a user namespace init is the host's root already; a rootless
	// runtime has no credentials beyond the container's root.
	if open == nil || cfg.Rootless || !inUserNS(cfg) || !m.IsBind() && m.Type != "bind" {
		return m, -1, nil
	}
	if _, err := os.Stat(m.Source); !errors.Is(err, fs.ErrPermission) {
		return m, -1, nil
	}
	fd, err := open(i)
	if err != nil {
		return nil, -1, fmt.Errorf("bind mount source %s, unreachable by the container's root: %w", m.Source, err)
	}
	b := *m
	b.Source = "/proc/self/fd/" + strconv.Itoa(fd)
	return &b, fd, nil
}

// mountEntry mounts mounts[i], from the runtime's handle of its source
// where the container's root cannot reach it.
func mountEntry(rootfd, i int, m *configs.Mount, cfg *configs.Config, userns bool, open SourceOpener) error {
	if m.IDMap != nil {
		return idmappedBind(rootfd, i, m, userns, open)
	}
	src, fd, err := hostSource(i, m, cfg, open)
	if err != nil {
		return err
	}
	if fd < 0 {
		return mountOne(rootfd, m, cfg, userns)
	}
	defer unix.Close(fd)
	if err := mountOne(rootfd, src, cfg, userns); err != nil {
		return fmt.Errorf("%w (%s is %s, opened by the runtime)", err, src.Source, m.Source)
	}
	return nil
}
