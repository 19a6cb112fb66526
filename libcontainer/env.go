package libcontainer

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// processEnv is the environment the user's process gets, as runc builds
// it: one entry a name, the last one given winning and standing where it
// was last given; and HOME always set, since programs (and Docker, which
// leaves HOME out of the config for images without it) rely on it. An
// empty or missing HOME becomes the home directory of uid in the
// container's /etc/passwd, else "/". specconv has already checked every
// entry is NAME=value.
func processEnv(env []string, uid uint32) []string {
	out, needHome := dedupEnv(env)
	if needHome {
		out = append(out, "HOME="+passwdHome("/etc/passwd", uid))
	}
	return out
}

// dedupEnv is the environment without the passwd lookup (shared by the Go
// init and the exec plan): one entry a name, the last given winning where
// it was last given, an empty HOME dropped. It says whether HOME must
// still be found.
func dedupEnv(env []string) ([]string, bool) {
	last := make(map[string]int, len(env))
	for i, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		last[name] = i
	}
	out := make([]string, 0, len(last)+1)
	for i, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if last[name] != i || (name == "HOME" && val == "") {
			continue
		}
		out = append(out, kv)
	}
	v, ok := lookupEnv(out, "HOME")
	return out, !ok || v == ""
}

// lookupEnv returns the value of name in env (deduplicated).
func lookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v, true
		}
	}
	return "", false
}

// maxPasswdSize bounds what is read of the container's /etc/passwd: the
// file belongs to the image, and init must not be made to read forever.
const maxPasswdSize = 4 << 20

// passwdHome returns the home directory of uid in the passwd file at path
// (resolved in the container: init has entered its root), or "/" when the
// file, the user or its home field is missing.
func passwdHome(path string, uid uint32) string {
	// O_NONBLOCK: a fifo in the image must not hang init; it is not a
	// regular file, and is skipped below.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/"
	}
	f := os.NewFile(uintptr(fd), path)
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "/"
	}
	want := strconv.FormatUint(uint64(uid), 10)
	sc := bufio.NewScanner(io.LimitReader(f, maxPasswdSize))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		// name:password:uid:gid:gecos:home:shell
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 6 && fields[2] == want {
			if fields[5] == "" {
				return "/"
			}
			return fields[5]
		}
	}
	return "/"
}
