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
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/intelrdt"
)

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
