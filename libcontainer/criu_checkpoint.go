package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/criurpc"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// CriuOpts are the checkpoint and restore flags, as runc has them.
type CriuOpts struct {
	ImagePath       string // --image-path (created on checkpoint)
	WorkPath        string // --work-path (logs; default: the image path)
	ParentPath      string // --parent-path, relative to ImagePath as CRIU wants it
	LeaveRunning    bool
	TCPEstablished  bool
	TCPSkipInFlight bool
	LinkRemap       bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	PreDump         bool
	AutoDedup       bool
	LazyPages       bool
	StatusFd        int    // -1: none
	PageServer      string // ADDRESS:PORT
	CgroupsMode     string // --manage-cgroups-mode
	EmptyNs         []string
	// restore only
	LsmProfile      string
	LsmMountContext string
}

// descriptorsFile records, beside the images, what the init's stdio was
// (/proc/PID/fd/0..2 link targets): restore hands its own stdio to CRIU in
// place of the pipes named there (runc's format, so that images move
// between runc and berth).
const descriptorsFile = "descriptors.json"

// Checkpoint dumps the running container with CRIU into o.ImagePath. Unless
// o.LeaveRunning or o.PreDump, the container is stopped by the dump and
// then destroyed (cgroups, state), as runc does.
func (c *Container) Checkpoint(o CriuOpts) (err error) {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if st := c.Status(); st != Running && st != Paused {
		return fmt.Errorf("%s is %s: %w", c.ID, st, ErrNotRunning)
	}
	bin, err := criuBinary()
	if err != nil {
		return err
	}
	if o.ImagePath == "" {
		return errors.New("--image-path: empty")
	}
	cgMode, err := criuCgMode(o.CgroupsMode)
	if err != nil {
		return err
	}
	emptyNs, err := criuEmptyNs(o.EmptyNs)
	if err != nil {
		return err
	}
	ps, err := pageServer(o.PageServer)
	if err != nil {
		return err
	}
	if err := checkStatusFd(o.StatusFd); err != nil {
		return err
	}
	if err := criuCheck(bin); err != nil {
		return err
	}
	// A container may be dumped more than once into the same directory
	// (pre-dumps): an existing one is fine.
	if err := os.MkdirAll(o.ImagePath, 0o700); err != nil {
		return fmt.Errorf("--image-path: %w", err)
	}
	images, err := os.Open(o.ImagePath)
	if err != nil {
		return fmt.Errorf("--image-path: %w", err)
	}
	defer func() { _ = images.Close() }()
	cfg := c.State.Config
	opts := &criurpc.CriuOpts{
		ImagesDirFd:       criurpc.Int32(int32(images.Fd())),
		LogLevel:          criurpc.Int32(4),
		LogFile:           criurpc.String("dump.log"),
		Root:              criurpc.String(cfg.Rootfs),
		ManageCgroups:     criurpc.Bool(true),
		ManageCgroupsMode: &cgMode,
		NotifyScripts:     criurpc.Bool(true),
		Pid:               criurpc.Int32(int32(c.State.Pid)),
		ShellJob:          criurpc.Bool(o.ShellJob),
		LeaveRunning:      criurpc.Bool(o.LeaveRunning),
		TcpEstablished:    criurpc.Bool(o.TCPEstablished),
		TcpSkipInFlight:   criurpc.Bool(o.TCPSkipInFlight),
		LinkRemap:         criurpc.Bool(o.LinkRemap),
		ExtUnixSk:         criurpc.Bool(o.ExtUnixSk),
		FileLocks:         criurpc.Bool(o.FileLocks),
		EmptyNs:           criurpc.Uint32(emptyNs),
		OrphanPtsMaster:   criurpc.Bool(true),
		AutoDedup:         criurpc.Bool(o.AutoDedup),
		LazyPages:         criurpc.Bool(o.LazyPages),
		Ps:                ps,
	}
	logDir := o.ImagePath
	if o.WorkPath != "" {
		work, err := openWorkDir(o.WorkPath)
		if err != nil {
			return err
		}
		defer func() { _ = work.Close() }()
		opts.WorkDirFd = criurpc.Int32(int32(work.Fd()))
		logDir = o.WorkPath
	}
	if o.ParentPath != "" {
		// CRIU resolves it from the image directory.
		opts.ParentImg = criurpc.String(o.ParentPath)
		opts.TrackMem = criurpc.Bool(true)
	}
	if o.LazyPages && o.StatusFd >= 0 {
		opts.StatusFd = criurpc.Int32(int32(o.StatusFd))
	}
	// A namespace joined by path belongs to someone else: CRIU is told it
	// is external, and restore hands it back the same (or a new) one.
	for _, t := range []string{"network", "pid"} {
		if err := externalNs(opts, cfg, t); err != nil {
			return err
		}
	}
	if m := c.cgroupManager(); m != nil {
		// The freezer stops the whole tree at once (CRIU otherwise uses
		// ptrace, one task at a time).
		if p := m.Paths()["freezer"]; p != "" {
			opts.FreezeCgroup = criurpc.String(p)
		} else if p := m.Paths()[""]; p != "" && len(m.Paths()) == 1 {
			opts.FreezeCgroup = criurpc.String(p)
		}
	}
	t := criurpc.CriuReqType_DUMP
	if o.PreDump {
		t = criurpc.CriuReqType_PRE_DUMP
		opts.TrackMem = criurpc.Bool(true)
	} else {
		if err := c.dumpMounts(opts); err != nil {
			return err
		}
		if err := writeDescriptors(o.ImagePath, c.State.Pid); err != nil {
			return err
		}
	}
	s := &swrk{bin: bin, notify: func(script string, pid, fd int) error {
		closeFd(fd)
		if script == "status-ready" && o.StatusFd >= 0 {
			// Lazy pages: the page server is up; whoever waits on the
			// fd may start the restore.
			_, _ = unix.Write(o.StatusFd, []byte{0})
		}
		return nil
	}}
	if _, err := s.run(&criurpc.CriuReq{Type: &t, Opts: opts}); err != nil {
		return fmt.Errorf("checkpoint %s: %w%s", c.ID, err, criuLogErrors(logDir, "dump.log"))
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// The dump has killed the container's processes; what is left (its
	// cgroups, state) goes as after a kill and delete.
	return c.destroyLocked()
}

// destroyLocked is Destroy for a caller holding the lock.
func (c *Container) destroyLocked() error {
	err := c.Destroy(true)
	var w *Warning
	if errors.As(err, &w) {
		return nil
	}
	return err
}

// dumpMounts declares the mounts whose source lies outside the container
// as external, so that CRIU records their place rather than failing to find
// their root: bind mounts, the files masked with /dev/null, and device
// nodes bound from the host. Restore maps each key back to a source.
func (c *Container) dumpMounts(opts *criurpc.CriuOpts) error {
	cfg := c.State.Config
	for _, m := range cfg.Mounts {
		if m.IsBind() {
			addExtMnt(opts, m.Destination, m.Destination)
		}
	}
	for _, p := range cfg.MaskedPaths {
		fi, err := os.Stat(fmt.Sprintf("/proc/%d/root%s", c.State.Pid, p))
		if err != nil || fi.IsDir() {
			// Missing: not masked; a directory: a tmpfs CRIU dumps.
			continue
		}
		addExtMnt(opts, p, "/dev/null")
	}
	for _, d := range cfg.Devices {
		addExtMnt(opts, d.Path, d.Path)
	}
	return nil
}

func addExtMnt(opts *criurpc.CriuOpts, key, val string) {
	key = filepath.Clean("/" + key)
	for _, e := range opts.ExtMnt {
		if e.GetKey() == key {
			return
		}
	}
	opts.ExtMnt = append(opts.ExtMnt, &criurpc.ExtMountMap{Key: criurpc.String(key), Val: criurpc.String(val)})
}

// criuNsKey is the key of an external namespace, as runc names it
// ("extRootNetNS", "extRootPidNS"), so images move between the two.
func criuNsKey(t string) string {
	if t == "network" {
		return "extRootNetNS"
	}
	return "extRoot" + strings.ToUpper(t[:1]) + t[1:] + "NS"
}

// externalNs declares a namespace of type t that the container joined by
// path as external: CRIU's --external TYPE[INODE]:KEY.
func externalNs(opts *criurpc.CriuOpts, cfg *configs.Config, t string) error {
	path, ok := cfg.NamespacePath(t)
	if !ok || path == "" {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("linux.namespaces %s path %s: %w", t, path, err)
	}
	name := t
	if t == "network" {
		name = "net"
	}
	opts.External = append(opts.External, fmt.Sprintf("%s[%d]:%s", name, st.Ino, criuNsKey(t)))
	return nil
}

// writeDescriptors records the init's stdio for restore.
func writeDescriptors(dir string, pid int) error {
	fds := make([]string, 3)
	for i := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, i))
		if err != nil {
			// A closed fd: nothing to hand back.
			continue
		}
		fds[i] = l
	}
	b, err := json.Marshal(fds)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, descriptorsFile), b, 0o600)
}

func openWorkDir(path string) (*os.File, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("--work-path: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--work-path: %w", err)
	}
	return f, nil
}

// pageServer parses --page-server ADDRESS:PORT.
func pageServer(s string) (*criurpc.CriuPageServerInfo, error) {
	if s == "" {
		return nil, nil
	}
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return nil, fmt.Errorf("--page-server %q: want ADDRESS:PORT", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("--page-server %q: port %q is not a port number", s, s[i+1:])
	}
	return &criurpc.CriuPageServerInfo{Address: criurpc.String(s[:i]), Port: criurpc.Int32(int32(port))}, nil
}

// checkStatusFd checks --status-fd is an open, writable fd.
func checkStatusFd(fd int) error {
	if fd < 0 {
		return nil
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("--status-fd %d: %w", fd, err)
	}
	if fl&unix.O_ACCMODE == unix.O_RDONLY {
		return fmt.Errorf("--status-fd %d: not open for writing", fd)
	}
	return nil
}
