package rootfs

import (
	"fmt"
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
// that does not exist yet gets the tmpfs default.
func inheritTmpfsMode(rootfd int, m *configs.Mount) {
	if m.Type != "tmpfs" || m.IsBind() {
		return
	}
	rel := strings.TrimPrefix(filepath.Clean("/"+m.Destination), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := openIn(rootfd, rel)
	if err != nil {
		// Missing (made by ensureIn), or an error ensureIn reports.
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	mode := fmt.Sprintf("mode=%04o", st.Mode&0o7777)
	if m.Data == "" {
		m.Data = mode
	} else {
		m.Data = mode + "," + m.Data
	}
}
