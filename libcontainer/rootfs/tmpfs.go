package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// inheritTmpfsMode gives a tmpfs the mode of the directory it covers. A
// new tmpfs's root is 1777 unless mode= says otherwise: over a 0755
// directory (say /var/lib/app of an image) that would let any user of the
// container write where only the owner could. So, as runc does, the
// covered directory's mode goes first in the filesystem data, where a
// mode= of config.json, coming later, still overrides it. A destination
// that does not exist yet gets the tmpfs default; one that cannot be
// opened is an error (as ensureIn's would be), not a silent 1777.
func inheritTmpfsMode(rootfd int, m *configs.Mount) error {
	if m.Type != "tmpfs" || m.IsBind() {
		return nil
	}
	rel := strings.TrimPrefix(filepath.Clean("/"+m.Destination), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := openIn(rootfd, rel)
	if errors.Is(err, unix.ENOENT) {
		return nil // made by ensureIn, with the tmpfs default
	}
	if err != nil {
		return &os.PathError{Op: "resolve", Path: m.Destination, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	mode := fmt.Sprintf("mode=%04o", st.Mode&0o7777)
	if m.Data == "" {
		m.Data = mode
	} else {
		m.Data = mode + "," + m.Data
	}
	return nil
}
