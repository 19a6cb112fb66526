package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups"
	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/intelrdt"
)

// CreateOpts are the inputs of Create.
type CreateOpts struct {
	Root   string // state root (--root)
	ID     string
	Bundle string // absolute bundle directory
	Config *configs.Config
	// PreserveFDs passes fds 3..3+N-1 of berth to the container.
	PreserveFDs int
	// ConsoleSocket receives the pty master (process.terminal). If empty
	// and the process has a terminal, Create returns the master in Console.
	ConsoleSocket string
	PidFile       string
	// Notify makes the directory of the container's notify socket
	// (AddNotifySocket has bound it into the container).
	Notify bool
	// Warn receives what does not fail the command but should be said
	// (a rootless container's cgroup limits that could not be applied).
	Warn func(msg string)
}

// CreateResult is what Create hands back.
type CreateResult struct {
	Container *Container
	// Console is the pty master when the caller must proxy it itself.
	Console *os.File
	// Child is true when init is berth's own child (no intermediate
	// process), so the caller can wait for it directly.
	Child bool
}

// Init's environment until its execve. envInitPipe is the one init reads:
// the fd of the sync socket, on which the C stage (nsenter/nsexec.c) reads
// its bootstrap; the other fds are named in the bootstrap (the plan pipe's,
// the log pipe's) or in the plan (the fifo's, the preserved ones). envID
// names the container, for whoever audits the host's processes (the tests'
// leak audit and kill -9 tests find a container's inits by it); nothing
// reads it, and the user's process gets its config's environment only.
const (
	envInitPipe = "_BERTH_INITPIPE"
	envID       = "_BERTH_ID"
)

// Create makes the container: state directory, init process in its
// namespaces, rootfs and everything else of config.json, up to the point
// where init waits on exec.fifo. On any error nothing is left behind.
func Create(o CreateOpts) (res *CreateResult, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	if err := checkLSM(o.Config); err != nil {
		return nil, err
	}
	if err := checkIntelRdt(o.Config, o.ID); err != nil {
		return nil, err
	}
	if err := checkUnprivileged(o.Config, false); err != nil {
		return nil, err
	}
	idmaps, err := planIDMaps(o.Config)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w%s", o.Root, err, rootHint(err))
	}
	dir := filepath.Join(o.Root, o.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w", o.ID, ErrExist)
		}
		return nil, fmt.Errorf("create state directory %s: %w%s", dir, err, rootHint(err))
	}
	lock, err := lockDir(dir)
	if err != nil {
		_ = os.Remove(dir)
		return nil, err
	}
	defer func() { _ = lock.Close() }()
	if o.Notify {
		if err := makeNotifyDir(dir); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}

	c := &Container{ID: o.ID, Dir: dir, State: &State{
		OCIVersion:  o.Config.Version,
		ID:          o.ID,
		Status:      Creating,
		Bundle:      o.Bundle,
		Rootfs:      o.Config.Rootfs,
		Created:     time.Now().UTC(),
		Owner:       "",
		Annotations: o.Config.Annotations,
		Config:      o.Config,
	}}
	sp := &spawner{o: o, c: c, idmaps: idmaps}
	defer func() {
		if err != nil {
			err = withCleanup(err, sp.cleanup())
			if isHookFailure(err) {
				if perr := c.runPoststop(); perr != nil {
					err = errors.Join(err, &Warning{Err: perr})
				}
			}
		}
	}()
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if err := sp.compileCreate(); err != nil {
		return nil, err
	}
	if err := sp.start(); err != nil {
		return nil, err
	}
	if err := sp.drive(); err != nil {
		return nil, err
	}
	c.State.Status = Created
	if err := saveState(dir, c.State); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := WritePidFile(o.PidFile, c.State.Pid); err != nil {
			return nil, fmt.Errorf("--pid-file: %w", err)
		}
	}
	// The devices are the container's now: init holds the namespace.
	sp.netDevs.close()
	return &CreateResult{Container: c, Console: sp.console, Child: sp.child}, nil
}

// spawner holds what one Create has made, so that cleanup can undo it.
type spawner struct {
	o CreateOpts
	c *Container
	// exec: join a running container instead of making one; no state
	// directory, no fifo, the container's cgroups as they are.
	exec       bool
	subCgroups map[string]string // exec --cgroup
	// plan: what the C stage runs as init: exec's (exec_plan.go) or
	// create's (create_plan.go).
	plan    []byte
	cgroups cgroups.Manager // create: the cgroups made for the container
	// idmaps: how to write the maps of a new user namespace (nil: none).
	idmaps  *idMapPlan
	cmd     *exec.Cmd
	sock    *os.File // parent end of the sync socket
	cfgPipe *os.File // write end of the plan pipe, until sent
	// planFd and logFd are the numbers of the plan pipe's and the log
	// pipe's ends in init (logFd -1: no --debug), for the bootstrap.
	planFd, logFd int
	console       *os.File
	child         bool
	pid           int // init's host pid, once known
	startTime     uint64
	// waitLogs waits for init's debug records to end (--debug), else nil.
	waitLogs func(time.Duration)
	// netDevs are the linux.netDevices moved into the container, until
	// create has succeeded or has moved them back.
	netDevs *netDevices
	// rdt is the container's resctrl group, once applied.
	rdt *intelrdt.Manager
	// sync is where init is in the sync protocol (sync_order.go).
	sync *syncState
}

// recvInOrder reads init's next message and checks that it may come now
// (syncOrder).
func (sp *spawner) recvInOrder() (syncMsg, int, error) {
	if sp.sync == nil {
		sp.sync = newSyncState()
	}
	m, fd, err := recvMsg(sp.sock)
	if err == nil {
		if err = sp.sync.advance(m.Type); err != nil && fd >= 0 {
			unix.Close(fd)
			fd = -1
		}
	}
	return m, fd, err
}

// expectInOrder is recvInOrder for a message without an fd.
func (sp *spawner) expectInOrder() (syncMsg, error) {
	m, fd, err := sp.recvInOrder()
	if fd >= 0 {
		unix.Close(fd)
	}
	return m, err
}

func (sp *spawner) start() error {
	var fifoFd *os.File
	if !sp.exec {
		f, err := sp.makeFifo()
		if err != nil {
			return err
		}
		fifoFd = f
		defer func() { _ = fifoFd.Close() }()
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	sp.sock = os.NewFile(uintptr(fds[0]), "sync-parent")
	childSock := os.NewFile(uintptr(fds[1]), "sync-child")
	defer func() { _ = childSock.Close() }()
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	defer func() { _ = cfgR.Close() }()

	exe, seal, err := sealedExe()
	if err != nil {
		_ = cfgW.Close()
		return err
	}
	defer func() { _ = seal.Close() }()
	cmd := exec.Command(exe, "init")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for i := 0; i < sp.o.PreserveFDs; i++ {
		if err := checkPreserved(3 + i); err != nil {
			_ = cfgW.Close()
			return err
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	// The fds init gets: stdio, the preserved ones, then these (see
	// fifoFdInInit).
	base := 3 + sp.o.PreserveFDs
	cmd.ExtraFiles = append(cmd.ExtraFiles, childSock, cfgR)
	cmd.Env = []string{envInitPipe + "=" + strconv.Itoa(base), envID + "=" + sp.o.ID}
	sp.planFd, sp.logFd = base+1, -1
	if fifoFd != nil {
		// At fifoFdInInit, which create's plan names.
		cmd.ExtraFiles = append(cmd.ExtraFiles, fifoFd)
	}
	var logW *os.File
	if logs.Debugging {
		// --debug: init and its C stage write their records to a pipe,
		// forwarded into our log as they come.
		logR, w, err := os.Pipe()
		if err != nil {
			_ = cfgW.Close()
			return fmt.Errorf("pipe: %w", err)
		}
		logW = w
		defer func() { _ = logW.Close() }()
		sp.logFd = 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, logW)
		sp.waitLogs = logs.Forward(logR)
	}
	// CVE-2024-21626: an fd berth inherited from its caller without
	// close-on-exec (a directory, say) would reach init, and through
	// /proc/self/fd/N in process.cwd or args[0] the container would reach
	// the host before init could close it. Only stdio and the preserved
	// fds may cross; ExtraFiles are dup'ed into place regardless.
	if err := closeExtraFds(3 + sp.o.PreserveFDs); err != nil {
		_ = cfgW.Close()
		return fmt.Errorf("mark inherited fds close-on-exec: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = cfgW.Close()
		return fmt.Errorf("start init: %w", err)
	}
	logs.Debugf("started init %d (%s init), sync fd %d, plan fd %d, %d preserved fds", cmd.Process.Pid, exe, base, sp.planFd, sp.o.PreserveFDs)
	sp.cmd = cmd
	sp.cfgPipe = cfgW
	return nil
}

// makeFifo makes exec.fifo, on which init waits for start, and returns an
// O_PATH fd of it for init.
func (sp *spawner) makeFifo() (*os.File, error) {
	fifo := filepath.Join(sp.c.Dir, fifoName)
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return nil, fmt.Errorf("mkfifo %s: %w", fifo, err)
	}
	// init opens it as the container's root, which in a user namespace is
	// another host uid: give the fifo to that uid (without root, possible
	// only when that is the caller's own; the mode below is enough then).
	uid, gid := rootIDs(sp.o.Config)
	if err := os.Chown(fifo, uid, gid); err != nil && (os.Geteuid() == 0 || !errors.Is(err, unix.EPERM)) {
		return nil, fmt.Errorf("chown %s: %w", fifo, err)
	}
	// By then init may have become a non-root user: let anyone write (the
	// state directory is 0700, and init reaches the fifo through its fd,
	// so only init can).
	if err := os.Chmod(fifo, 0o622); err != nil {
		return nil, fmt.Errorf("chmod %s: %w", fifo, err)
	}
	f, err := os.OpenFile(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", fifo, err)
	}
	return f, nil
}

// sendPlan writes the plan on its own pipe (it can be larger than a
// packet), in the background: init reads it while we wait on the socket.
func (sp *spawner) sendPlan() {
	b := sp.plan
	w := sp.cfgPipe
	sp.cfgPipe = nil
	go func() {
		_, _ = w.Write(b)
		_ = w.Close()
	}()
}

// bootstrap renders the nsenter stage's directives (nsenter/nsexec.c).
func bootstrap(cfg *configs.Config, idmaps *idMapPlan) string {
	var b strings.Builder
	var clone uintptr
	for _, ns := range cfg.Namespaces {
		if ns.Path == "" {
			clone |= ns.Flag
		} else {
			fmt.Fprintf(&b, "join %d %s\n", ns.Flag, ns.Path)
		}
	}
	fmt.Fprintf(&b, "clone %d\n", clone)
	if idmaps != nil && idmaps.setgroupsDeny {
		b.WriteString("setgroups deny\n")
	}
	return b.String()
}

// writeTimeOffsets writes linux.timeOffsets for the time namespace the
// stage pid has made (for its children: no process is in it yet, as the
// kernel requires). The parent writes them, not the stage: in a new user
// namespace the stage, root there but not dumpable, cannot open its own
// /proc files, which belong to the host's root; the parent holds
// CAP_SYS_TIME over the namespace (it is root, or the owner of the user
// namespace that owns it).
func writeTimeOffsets(pid int, offsets map[string]specs.LinuxTimeOffset) error {
	if len(offsets) == 0 {
		return nil
	}
	var b strings.Builder
	for clock, off := range offsets {
		fmt.Fprintf(&b, "%s %d %d\n", clock, off.Secs, off.Nanosecs)
	}
	path := fmt.Sprintf("/proc/%d/timens_offsets", pid)
	// One write: the kernel takes all the offsets of a write at once.
	if err := os.WriteFile(path, []byte(b.String()), 0); err != nil {
		return fmt.Errorf("linux.timeOffsets: %w", err)
	}
	return nil
}

// drive runs the parent's half of the nsenter and sync protocols.
func (sp *spawner) drive() error {
	cfg := sp.o.Config
	boot := bootstrap(cfg, sp.idmaps)
	if sp.exec {
		boot += "mode exec\n"
	} else {
		boot += "mode create\n"
	}
	// The plan follows on its pipe (sendPlan).
	boot += fmt.Sprintf("plan %d\n", sp.planFd)
	if sp.logFd >= 0 {
		boot += fmt.Sprintf("log %d\n", sp.logFd)
	}
	logs.Debugf("nsenter bootstrap: %q", boot)
	if err := writeOOMScoreAdj(sp.cmd.Process.Pid, cfg.OOMScoreAdj); err != nil {
		return err
	}
	if err := sendRaw(sp.sock, boot); err != nil {
		return err
	}
	// While the stage starts and joins namespaces, make the cgroups.
	if err := sp.prepareCgroups(); err != nil {
		return err
	}
	m, err := sp.expectInOrder()
	if err != nil {
		return sp.initFailed(err)
	}
	if err := writeIDMaps(m.Pid, cfg, sp.idmaps); err != nil {
		return err
	}
	if !sp.exec {
		if err := readJoinedIDMaps(m.Pid, cfg); err != nil {
			return err
		}
	}
	if err := writeTimeOffsets(m.Pid, cfg.TimeOffsets); err != nil {
		return err
	}
	if err := sp.placeInCgroups(m.Pid); err != nil {
		return err
	}
	resetAffinity(m.Pid)
	if err := sendRaw(sp.sock, "ack"); err != nil {
		return sp.initFailed(err)
	}
	m, err = sp.expectInOrder()
	if err != nil {
		return sp.initFailed(err)
	}
	pid := m.Pid
	logs.Debugf("init runs as pid %d", pid)
	if pid == sp.cmd.Process.Pid {
		sp.child = true
	} else {
		// The intermediate process exits once it has forked init.
		_ = sp.cmd.Wait()
	}
	start, err := proc.StartTime(pid)
	if errors.Is(err, os.ErrNotExist) {
		return sp.initFailed(errInitExited)
	}
	if err != nil {
		return fmt.Errorf("start time of init %d: %w", pid, err)
	}
	sp.pid, sp.startTime = pid, start
	if !sp.exec {
		sp.c.State.Pid, sp.c.State.StartTime = pid, start
		if err := saveState(sp.c.Dir, sp.c.State); err != nil {
			return err
		}
	}
	if !sp.exec {
		// Before the config goes to init: its steps and the create
		// hooks find the devices in place.
		if sp.netDevs, err = moveNetDevices(pid, cfg.NetDevices); err != nil {
			return err
		}
	}
	if err := sp.applyIntelRdt(pid); err != nil {
		return err
	}
	sp.sendPlan()
	for {
		m, fd, err := sp.recvInOrder()
		if err != nil {
			return sp.initFailed(err)
		}
		switch m.Type {
		case msgHooks:
			if err := sp.runCreateHooks(); err != nil {
				return err
			}
			if err := sendMsg(sp.sock, syncMsg{Type: msgHooksDone}, -1); err != nil {
				return sp.initFailed(err)
			}
		case msgMountSource:
			if fd >= 0 {
				unix.Close(fd)
			}
			if err := sp.sendMountSource(m.Msg); err != nil {
				return err
			}
		case msgConsole:
			if err := sp.handleConsole(fd, m.Msg); err != nil {
				return err
			}
			if err := sendMsg(sp.sock, syncMsg{Type: msgConsoleDone}, -1); err != nil {
				return sp.initFailed(err)
			}
		case msgSeccomp:
			if fd < 0 {
				return fmt.Errorf("sync: seccomp message without a listener fd")
			}
			if err := sp.sendSeccompListener(fd); err != nil {
				return err
			}
			if err := sendMsg(sp.sock, syncMsg{Type: msgSeccompDone}, -1); err != nil {
				return sp.initFailed(err)
			}
		case msgWarning:
			if sp.o.Warn != nil {
				sp.o.Warn(m.Msg)
			}
		case msgReady:
			if sp.exec {
				return sp.awaitExecve()
			}
			if !sp.exec {
				if err := sp.tolerateCgroups(setPidsLimit(sp.cgroups, sp.o.Config.Resources)); err != nil {
					return err
				}
			}
			_ = sp.sock.Close()
			sp.finishLogs()
			return nil
		default:
			// syncOrder lets through only the messages above.
			if fd >= 0 {
				unix.Close(fd)
			}
			return fmt.Errorf("sync: %s message from init not handled", m.Type)
		}
	}
}

// awaitExecve waits, after the C stage's ready, for the end of its plan:
// the sync socket is close-on-exec, so its end means execve succeeded; an
// error message means a last step (seccomp, rlimits, LSM labels, execve)
// failed, and berth reports it as any other.
func (sp *spawner) awaitExecve() error {
	for {
		m, fd, err := sp.recvInOrder()
		if fd >= 0 {
			unix.Close(fd)
		}
		if errors.Is(err, errInitExited) {
			_ = sp.sock.Close()
			sp.finishLogs()
			return nil
		}
		if err != nil {
			return sp.initFailed(err)
		}
		// A warning, the one message syncOrder allows after ready.
		if sp.o.Warn != nil {
			sp.o.Warn(m.Msg)
		}
	}
}

// finishLogs waits for init's debug records to end (--debug): init closes
// its end of the pipe once ready, or has died, so they are all in our log
// before we report. A process that kept the pipe by mistake holds us up for
// two seconds at most.
func (sp *spawner) finishLogs() {
	if sp.waitLogs != nil {
		sp.waitLogs(2 * time.Second)
		sp.waitLogs = nil
	}
}

func (sp *spawner) runCreateHooks() error {
	h := sp.o.Config.Hooks
	if h == nil {
		return nil
	}
	// runtime.md "Lifecycle": these hooks are steps 3 to 5, after the
	// environment was created (step 2), so the state says "created".
	st := sp.c.SpecState()
	st.Status = specs.StateCreated
	st.Pid = sp.c.State.Pid
	if err := runHooks("prestart", h.Prestart, st); err != nil {
		return err
	}
	return runHooks("createRuntime", h.CreateRuntime, st)
}

func sendRaw(sock *os.File, s string) error {
	for {
		_, err := unix.Write(int(sock.Fd()), []byte(s))
		if err != unix.EINTR {
			if err != nil {
				return fmt.Errorf("write sync socket: %w", err)
			}
			return nil
		}
	}
}
