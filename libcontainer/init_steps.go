package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// The small steps of the init checklist (init_linux.go), in the order it
// runs them.

func setHostname(cfg *configs.Config) error {
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", cfg.Hostname, err)
		}
	}
	if cfg.Domainname != "" {
		if err := unix.Setdomainname([]byte(cfg.Domainname)); err != nil {
			return fmt.Errorf("setdomainname %q: %w", cfg.Domainname, err)
		}
	}
	return nil
}

func writeSysctls(sysctl map[string]string) error {
	for k, v := range sysctl {
		// sysctl(8) convention: dots separate directories, and a slash
		// stands for a dot inside a name (net.ipv4.conf.eth0/100.forwarding
		// is interface eth0.100).
		p := filepath.Join("/proc/sys", strings.NewReplacer(".", "/", "/", ".").Replace(k))
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("linux.sysctl %s: %w", k, err)
		}
	}
	return nil
}

// setRlimits uses syscall.Setrlimit, not unix.Setrlimit: for RLIMIT_NOFILE
// it also tells the Go runtime not to restore its own startup value at
// exec, so the container gets exactly the configured limit.
func setRlimits(rl []configs.Rlimit) error {
	for i, r := range rl {
		lim := &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := syscall.Setrlimit(r.Type, lim); err != nil {
			return fmt.Errorf("process.rlimits[%d]: setrlimit (soft %d, hard %d): %w", i, r.Soft, r.Hard, err)
		}
	}
	return nil
}

// lookPath resolves args[0] with the container's own PATH, before ready, so
// that "executable file not found in $PATH" is an error of create (Podman
// maps those words to exit code 127, "permission denied" to 126).
func lookPath(p *configs.Process) (string, error) {
	name := p.Args[0]
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", unwrapPath(err)
		}
		return name, nil
	}
	path := ""
	for _, e := range p.Env {
		if strings.HasPrefix(e, "PATH=") {
			path = e[5:]
		}
	}
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, name)
		err := checkExecutable(cand)
		if err == nil {
			return cand, nil
		}
		if errors.Is(err, os.ErrPermission) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", unwrapPath(denied)
	}
	return "", fmt.Errorf("%q: executable file not found in $PATH", name)
}

// unwrapPath drops the operation of a *os.PathError: the init step already
// says "exec".
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return &os.PathError{Op: "exec", Path: path, Err: os.ErrPermission}
	}
	return nil
}

// setUser switches to process.user, keeping the capabilities the
// capability step drops to exactly the configured sets.
func setUser(p *configs.Process) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return err
	}
	groups := make([]int, len(p.AdditionalGids))
	for i, g := range p.AdditionalGids {
		groups[i] = int(g)
	}
	// setgroups is denied in a user namespace whose setgroups file says
	// deny; then only an empty request is an error worth reporting.
	if err := unix.Setgroups(groups); err != nil && (len(groups) > 0 || err != unix.EPERM) {
		return fmt.Errorf("setgroups %v: %w", p.AdditionalGids, err)
	}
	// Credentials are per thread here; this locked thread is the one that
	// calls execve, so it is the one that counts.
	if err := unix.Setresgid(int(p.GID), int(p.GID), int(p.GID)); err != nil {
		return fmt.Errorf("setgid %d: %w", p.GID, err)
	}
	if err := unix.Setresuid(int(p.UID), int(p.UID), int(p.UID)); err != nil {
		return fmt.Errorf("setuid %d: %w", p.UID, err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return err
	}
	return nil
}

// chdir enters process.cwd. It runs after the root is in place, so the
// path resolves inside the container (CVE-2024-21626: never a leaked fd).
func chdir(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("process.cwd %s: %w", cwd, err)
	}
	// Make sure the cwd really is inside the container's root.
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(wd) {
		return fmt.Errorf("process.cwd %s: not inside the container root", cwd)
	}
	return nil
}

// closeExtraFds marks every fd from first on close-on-exec: only stdio and
// the preserved fds reach the user's process (init), or init (the parent,
// for the fds it inherited from its caller).
func closeExtraFds(first int) error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}

// reopenDevNull puts the container's own /dev/null in place of a stdio fd
// that is the host's (Podman's conmon, containerd give /dev/null for an
// unused stdin): the same device, but on a mount outside the container's
// mount namespace, which CRIU cannot dump ("Can't lookup mount"), as runc
// found. The default devices give every container one to open.
func reopenDevNull() error {
	// Only when a stdio fd is a /dev/null at all: then the container's
	// must open (the default devices make it), as in runc.
	var on []int
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3) {
			on = append(on, fd)
		}
	}
	if len(on) == 0 {
		return nil
	}
	f, err := os.OpenFile("/dev/null", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var null unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &null); err != nil {
		return fmt.Errorf("stat /dev/null: %w", err)
	}
	if null.Mode&unix.S_IFMT != unix.S_IFCHR {
		return nil // not a device (a file bound over it): nothing to match
	}
	for _, fd := range on {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Rdev != null.Rdev || st.Dev == null.Dev {
			continue // already the container's own
		}
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("reopen /dev/null as fd %d: %w", fd, err)
		}
	}
	return nil
}
