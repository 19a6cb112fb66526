package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/specconv"
)

// defaultRoot is --root when not given: $XDG_RUNTIME_DIR/berth for a user
// without root, /run/berth for root. As runc: root in a user namespace
// (rootless Podman, BuildKit) counts as a user unless $USER says root,
// and real root ignores $XDG_RUNTIME_DIR (/run/user/0).
func defaultRoot() string {
	user, hasUser := os.LookupEnv("USER")
	return pickRoot(os.Geteuid(), proc.InUserNS(), os.Getenv("XDG_RUNTIME_DIR"), user, hasUser)
}

func pickRoot(euid int, inUserNS bool, xdg, user string, hasUser bool) string {
	if xdg != "" && (euid != 0 || (inUserNS && (!hasUser || user != "root"))) {
		return filepath.Join(xdg, "berth")
	}
	return "/run/berth"
}

// rootlessMode resolves --rootless: true, false (or any strconv.ParseBool
// spelling, as runc takes), or auto: true without root or in a user
// namespace.
func rootlessMode(v string) (bool, error) {
	if v == "auto" || v == "" {
		return os.Geteuid() != 0 || proc.InUserNS(), nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("--rootless %q: must be true, false or auto", v)
	}
	return b, nil
}

// stateRoot is --root made absolute (the state records absolute paths).
func stateRoot(c *cli.Context) (string, error) {
	return filepath.Abs(c.String("root"))
}

func loadContainer(c *cli.Context) (*libcontainer.Container, error) {
	id, err := containerID(c)
	if err != nil {
		return nil, err
	}
	root, err := stateRoot(c)
	if err != nil {
		return nil, err
	}
	return libcontainer.Load(root, id)
}

// maxConfigSize bounds config.json: a larger file is a mistake or an attack,
// and would be held in memory whole.
const maxConfigSize = 16 << 20

// loadBundle reads and converts <bundle>/config.json.
// edit, if not nil, changes the spec before it is converted (and so
// validated).
func loadBundle(c *cli.Context, id string, edit func(*specs.Spec)) (string, *configs.Config, error) {
	bundle := c.String("bundle")
	if bundle == "" {
		bundle = "."
	}
	bundle, err := filepath.Abs(bundle)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(bundle, "config.json")
	// O_NONBLOCK: a fifo in its place must not hang create (it is refused
	// below); it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s: %s, not a regular file", path, fileKind(st.Mode()))
	}
	if st.Size() > maxConfigSize {
		return "", nil, fmt.Errorf("%s: larger than %d MiB", path, maxConfigSize>>20)
	}
	rootless, err := rootlessMode(c.String("rootless"))
	if err != nil {
		return "", nil, err
	}
	var spec specs.Spec
	dec := json.NewDecoder(f)
	if err := dec.Decode(&spec); err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, describeJSONError(err))
	}
	if edit != nil {
		edit(&spec)
	}
	cfg, err := specconv.Convert(&spec, specconv.Options{
		BundleDir:     bundle,
		ID:            id,
		NoPivot:       c.Bool("no-pivot"),
		NoNewKeyring:  c.Bool("no-new-keyring"),
		SystemdCgroup: c.Bool("systemd-cgroup"),
		Rootless:      rootless,
		Warn:          logWarn,
	})
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if st, err := os.Stat(cfg.Rootfs); err != nil {
		return "", nil, fmt.Errorf("root.path: %w", err)
	} else if !st.IsDir() {
		return "", nil, fmt.Errorf("root.path %s: not a directory", cfg.Rootfs)
	}
	return bundle, cfg, nil
}

// checkPreserveFds checks --preserve-fds N: fds first .. first+N-1 go to
// the container (first is 3, after the LISTEN_FDS ones if any), so they
// must be open (else init fails to start with a bare "bad file
// descriptor").
func checkPreserveFds(listen, n int) error {
	if n < 0 {
		return fmt.Errorf("--preserve-fds %d: must not be negative", n)
	}
	first := 3 + listen
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && uint64(n)+uint64(first) > lim.Cur {
		return fmt.Errorf("--preserve-fds %d: more fds than the open file limit (%d)", n, lim.Cur)
	}
	for fd := first; fd < first+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: fd %d is not open", n, fd)
		}
	}
	return nil
}

// fileKind names what a non-regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a fifo"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// describeJSONError says where in the file a JSON error is.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("must hold a JSON object, not a JSON %s", te.Value)
		}
		return fmt.Errorf("field %s: cannot use a JSON %s as %s", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("empty: no JSON object in it")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: it ends in the middle of a value")
	}
	return err
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
