package libcontainer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/internal/criurpc"
	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// RestoreOpts are the inputs of Restore.
type RestoreOpts struct {
	Root          string // state root (--root)
	ID            string
	Bundle        string
	Config        *configs.Config
	ConsoleSocket string
	PidFile       string
	Criu          CriuOpts
}

// Restore makes container o.ID from the CRIU images in o.Criu.ImagePath:
// its state directory and cgroups as create makes them (limits from the
// bundle's config), then CRIU puts the dumped process tree back in them.
// The restored init is berth's child (CRIU's rst_sibling). On any error
// nothing is left behind.
func Restore(o RestoreOpts) (c *Container, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	bin, err := criuBinary()
	if err != nil {
		return nil, err
	}
	cgMode, err := criuCgMode(o.Criu.CgroupsMode)
	if err != nil {
		return nil, err
	}
	emptyNs, err := criuEmptyNs(o.Criu.EmptyNs)
	if err != nil {
		return nil, err
	}
	if o.Config.Process.Terminal && o.ConsoleSocket == "" {
		return nil, errors.New("process.terminal is true: --console-socket is required to receive the restored pty")
	}
	// Said before CRIU is asked anything: the ID in use is the caller's
	// mistake, whatever the host.
	if _, err := os.Lstat(filepath.Join(o.Root, o.ID)); err == nil {
		return nil, fmt.Errorf("%s: %w", o.ID, ErrExist)
	}
	fds, err := readDescriptors(o.Criu.ImagePath)
	if err != nil {
		return nil, err
	}
	if err := criuCheck(bin); err != nil {
		return nil, err
	}
	images, err := os.Open(o.Criu.ImagePath)
	if err != nil {
		return nil, fmt.Errorf("--image-path: %w", err)
	}
	defer func() { _ = images.Close() }()

	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", o.Root, err)
	}
	dir := filepath.Join(o.Root, o.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w", o.ID, ErrExist)
		}
		return nil, fmt.Errorf("create state directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		_ = os.Remove(dir)
		return nil, err
	}
	defer func() { _ = lock.Close() }()
	c = &Container{ID: o.ID, Dir: dir, State: &State{
		OCIVersion:  o.Config.Version,
		ID:          o.ID,
		Status:      Creating,
		Bundle:      o.Bundle,
		Rootfs:      o.Config.Rootfs,
		Created:     time.Now().UTC(),
		Annotations: o.Config.Annotations,
		Config:      o.Config,
	}}
	r := &restorer{o: o, c: c, bin: bin}
	defer func() {
		if err != nil {
			err = withCleanup(err, r.cleanup())
			c = nil
		}
	}()
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if r.cgroups, err = c.makeCgroups(); err != nil {
		return nil, err
	}
	root, err := r.bindRoot()
	if err != nil {
		return nil, err
	}
	defer r.unbindRoot()

	opts := &criurpc.CriuOpts{
		ImagesDirFd:       criurpc.Int32(int32(images.Fd())),
		EvasiveDevices:    criurpc.Bool(true),
		LogLevel:          criurpc.Int32(4),
		LogFile:           criurpc.String("restore.log"),
		RstSibling:        criurpc.Bool(true),
		Root:              criurpc.String(root),
		ManageCgroups:     criurpc.Bool(true),
		ManageCgroupsMode: &cgMode,
		NotifyScripts:     criurpc.Bool(true),
		ShellJob:          criurpc.Bool(o.Criu.ShellJob),
		ExtUnixSk:         criurpc.Bool(o.Criu.ExtUnixSk),
		TcpEstablished:    criurpc.Bool(o.Criu.TCPEstablished),
		FileLocks:         criurpc.Bool(o.Criu.FileLocks),
		EmptyNs:           criurpc.Uint32(emptyNs),
		OrphanPtsMaster:   criurpc.Bool(true),
		AutoDedup:         criurpc.Bool(o.Criu.AutoDedup),
		LazyPages:         criurpc.Bool(o.Criu.LazyPages),
	}
	if o.Criu.LsmProfile != "" {
		opts.LsmProfile = criurpc.String(o.Criu.LsmProfile)
	}
	if o.Criu.LsmMountContext != "" {
		opts.LsmMountContext = criurpc.String(o.Criu.LsmMountContext)
	}
	logDir := o.Criu.ImagePath
	if o.Criu.WorkPath != "" {
		work, err := openWorkDir(o.Criu.WorkPath)
		if err != nil {
			return nil, err
		}
		defer func() { _ = work.Close() }()
		opts.WorkDirFd = criurpc.Int32(int32(work.Fd()))
		logDir = o.Criu.WorkPath
	}
	extra, err := restoreNamespaces(opts, o.Config)
	for _, f := range extra {
		defer func() { _ = f.Close() }()
	}
	if err != nil {
		return nil, err
	}
	restoreMounts(opts, o.Config)
	// The pipes the dumped init had for stdio are CRIU's own stdio now,
	// which is berth's: the restored process gets the caller's pipes.
	for i, s := range fds {
		if strings.HasPrefix(s, "pipe:") {
			opts.InheritFd = append(opts.InheritFd, &criurpc.InheritFd{Key: criurpc.String(s), Fd: criurpc.Int32(int32(i))})
		}
	}
	s := &swrk{bin: bin, extra: extra, started: func(pid int) error {
		return r.enterCgroups(pid, opts)
	}, notify: r.notify}
	t := criurpc.CriuReqType_RESTORE
	if _, err := s.run(&criurpc.CriuReq{Type: &t, Opts: opts}); err != nil {
		return nil, fmt.Errorf("restore %s: %w%s", o.ID, err, criuLogErrors(logDir, "restore.log"))
	}
	if r.pid == 0 {
		return nil, errors.New("restore: criu did not say which process it restored")
	}
	// As create: the pids limit counts no forks of berth's or CRIU's.
	if err := setPidsLimit(r.cgroups, o.Config.Resources); err != nil {
		return nil, err
	}
	c.State.Status = Running
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := WritePidFile(o.PidFile, c.State.Pid); err != nil {
			return nil, fmt.Errorf("--pid-file: %w", err)
		}
	}
	return c, nil
}

// restorer holds what one Restore has made, so that cleanup can undo it.
type restorer struct {
	o       RestoreOpts
	c       *Container
	bin     string
	cgroups cgroups.Manager
	root    string // the rootfs bound for CRIU, while it is
	pid     int    // the restored init, once CRIU has said
	start   uint64
}

// bindRoot binds the rootfs to <state dir>/criu-root: CRIU wants its root
// to be a mount point whose parent is not mounted over.
func (r *restorer) bindRoot() (string, error) {
	root := filepath.Join(r.c.Dir, "criu-root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", fmt.Errorf("restore root: %w", err)
	}
	if err := unix.Mount(r.o.Config.Rootfs, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		_ = os.Remove(root)
		return "", fmt.Errorf("bind root.path %s for criu: %w", r.o.Config.Rootfs, err)
	}
	r.root = root
	return root, nil
}

func (r *restorer) unbindRoot() {
	if r.root == "" {
		return
	}
	_ = unix.Unmount(r.root, unix.MNT_DETACH)
	_ = os.Remove(r.root)
	r.root = ""
}

// enterCgroups puts criu in the container's cgroups (what it restores is
// born there), sets the limits again, and tells CRIU they are the roots
// to restore into (the dumped container's paths may differ: a new ID).
func (r *restorer) enterCgroups(pid int, opts *criurpc.CriuOpts) error {
	if r.cgroups == nil {
		return nil
	}
	if err := r.cgroups.Apply(pid); err != nil {
		return fmt.Errorf("put criu in the container's cgroups: %w", err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID:CONTROLLERS:PATH; "0::PATH" is the unified hierarchy.
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		cr := &criurpc.CgroupRoot{Path: criurpc.String(parts[2])}
		if parts[1] != "" {
			cr.Ctrl = criurpc.String(parts[1])
		}
		opts.CgRoot = append(opts.CgRoot, cr)
	}
	return s.Err()
}

// notify handles CRIU's notifications during the restore.
func (r *restorer) notify(script string, pid, fd int) error {
	switch script {
	case "setup-namespaces":
		closeFd(fd)
		// As runc: the hooks of create run once the namespaces are
		// made, before the processes go on (runtime-spec lifecycle 3-5).
		h := r.o.Config.Hooks
		if h == nil {
			return nil
		}
		st := r.c.SpecState()
		st.Status, st.Pid = specs.StateCreated, pid
		if err := runHooks("prestart", h.Prestart, st); err != nil {
			return err
		}
		return runHooks("createRuntime", h.CreateRuntime, st)
	case "post-restore":
		closeFd(fd)
		start, err := proc.StartTime(pid)
		if err != nil {
			return fmt.Errorf("restored init %d: %w", pid, err)
		}
		r.pid, r.start = pid, start
		r.c.State.Pid, r.c.State.StartTime = pid, start
		r.c.State.Created = time.Now().UTC()
		addRestoredTimeNs(r.c.State.Config, pid)
		return saveState(r.c.Dir, r.c.State)
	case "orphan-pts-master":
		if fd < 0 {
			return errors.New("no pty master came with the notification")
		}
		master := os.NewFile(uintptr(fd), "/dev/ptmx")
		defer func() { _ = master.Close() }()
		return SendConsole(r.o.ConsoleSocket, master)
	}
	closeFd(fd)
	return nil
}

// addRestoredTimeNs: CRIU restores the tree into a time namespace of its
// own (so that its monotonic clocks do not jump) where the kernel has them;
// exec joins the namespaces the config lists, so it is listed, as runc does.
func addRestoredTimeNs(cfg *configs.Config, pid int) {
	if _, ok := cfg.NamespacePath("time"); ok {
		return
	}
	mine, err1 := os.Readlink("/proc/self/ns/time")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/time", pid))
	if err1 != nil || err2 != nil || mine == theirs {
		return
	}
	cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: "time", Flag: unix.CLONE_NEWTIME})
}

// cleanup undoes a failed restore: processes, root bind, cgroups, state.
func (r *restorer) cleanup() error {
	var errs []error
	if r.pid > 0 {
		_ = signalPid(r.pid, r.start, unix.SIGKILL)
		if !waitGone(r.pid, r.start, 5*time.Second) {
			errs = append(errs, fmt.Errorf("restored init %d did not die after SIGKILL", r.pid))
		}
		reap(r.pid)
	}
	if r.cgroups != nil {
		_, _ = r.cgroups.Kill()
	}
	r.unbindRoot()
	if err := r.c.destroyCgroups(); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(r.c.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// restoreMounts maps the external mounts of the dump (dumpMounts) to their
// sources on this host.
func restoreMounts(opts *criurpc.CriuOpts, cfg *configs.Config) {
	for _, m := range cfg.Mounts {
		if m.IsBind() {
			addExtMnt(opts, m.Destination, m.Source)
		}
	}
	if len(cfg.MaskedPaths) > 0 {
		addExtMnt(opts, "/dev/null", "/dev/null")
	}
	for _, d := range cfg.Devices {
		addExtMnt(opts, d.Path, d.Path)
	}
}

// restoreNamespaces: a network or pid namespace joined by path is handed to
// CRIU open (the external namespace of the dump, by runc's key); others
// joined by path CRIU joins itself. The returned files go to criu at fds
// 4 on.
func restoreNamespaces(opts *criurpc.CriuOpts, cfg *configs.Config) ([]*os.File, error) {
	var extra []*os.File
	for _, ns := range cfg.Namespaces {
		if ns.Path == "" {
			continue
		}
		switch ns.Type {
		case "network", "pid":
			f, err := os.Open(ns.Path)
			if err != nil {
				return extra, fmt.Errorf("linux.namespaces %s path: %w", ns.Type, err)
			}
			extra = append(extra, f)
			opts.InheritFd = append(opts.InheritFd, &criurpc.InheritFd{
				Key: criurpc.String(criuNsKey(ns.Type)),
				// 0-2 stdio, 3 the swrk socket
				Fd: criurpc.Int32(int32(3 + len(extra))),
			})
		case "cgroup":
			return extra, fmt.Errorf("linux.namespaces cgroup path %s: CRIU cannot join an existing cgroup namespace", ns.Path)
		default:
			name := map[string]string{"mount": "mnt"}[ns.Type]
			if name == "" {
				name = ns.Type
			}
			opts.JoinNs = append(opts.JoinNs, &criurpc.JoinNamespace{Ns: criurpc.String(name), NsFile: criurpc.String(ns.Path)})
		}
	}
	return extra, nil
}

// readDescriptors reads the stdio record of a dump (and so checks the
// image directory is one).
func readDescriptors(dir string) ([]string, error) {
	if dir == "" {
		return nil, errors.New("--image-path: empty")
	}
	b, err := os.ReadFile(filepath.Join(dir, descriptorsFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(dir); serr != nil {
				return nil, fmt.Errorf("--image-path %s: no CRIU images there: %w", dir, serr)
			}
			return nil, fmt.Errorf("--image-path %s: no %s: not the images of a checkpoint (a pre-dump is not restorable)", dir, descriptorsFile)
		}
		return nil, fmt.Errorf("--image-path: %w", err)
	}
	var fds []string
	if err := json.Unmarshal(b, &fds); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, descriptorsFile), err)
	}
	logs.Debugf("restore: the dumped init's stdio was %q", fds)
	return fds, nil
}
