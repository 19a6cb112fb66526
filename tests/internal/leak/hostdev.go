package leak

import (
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// hostDevs are the host's device nodes every container reaches (bound or
// made in its /dev). A runtime that chmods or chowns its container's node
// through a bind, or a test that does, changes the host's for everyone:
// once seen here, /dev/null became 0755 and user namespaces stopped working.
var hostDevs = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx"}

// hostDevices: one line a node, keyed by everything that must not change (its
// mode, owner and device number), so that a change shows as a new line.
func (s *Scope) hostDevices() []string {
	var out []string
	for _, p := range hostDevs {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			out = append(out, fmt.Sprintf("hostdev\t%s: %v", p, err))
			continue
		}
		out = append(out, fmt.Sprintf("hostdev\t%s mode %04o owner %d:%d dev %d:%d",
			p, st.Mode&0o7777, st.Uid, st.Gid, unix.Major(st.Rdev), unix.Minor(st.Rdev)))
	}
	return out
}
