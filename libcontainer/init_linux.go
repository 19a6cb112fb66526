package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/capabilities"
	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/rootfs"
	"github.com/berth-runtime/berth/seccomp"
)

// initEnv is what the parent handed init through the environment.
type initEnv struct {
	sock     *os.File
	cfgPipe  *os.File
	fifoFd   int
	preserve int
	// id and bundle are for the state the hooks init runs get (from the
	// config pipe's message).
	id, bundle string
}

// ErrNotInit is Init's error when the process was not started as berth's
// init (by hand, say): there is no parent to report it to.
var ErrNotInit = errors.New("berth init is not meant to be run by hand")

func readInitEnv() (*initEnv, error) {
	num := func(name string) (int, error) {
		n, err := strconv.Atoi(os.Getenv(name))
		if err != nil {
			return 0, fmt.Errorf("%s not set: %w", name, ErrNotInit)
		}
		return n, nil
	}
	sock, err := num(envInitPipe)
	if err != nil {
		return nil, err
	}
	cfg, err := num(envConfigPipe)
	if err != nil {
		return nil, err
	}
	// exec runs in the C stage (nsenter/exec.c): only create comes here,
	// with its fifo.
	fifo, err := num(envFifoFd)
	if err != nil {
		return nil, err
	}
	// Close-on-exec: the hooks init runs get stdio only, not the sync
	// socket or the fifo (exec.Cmd passes whatever lacks the flag).
	for _, fd := range []int{sock, cfg, fifo} {
		unix.CloseOnExec(fd)
	}
	pres, _ := strconv.Atoi(os.Getenv(envPreserve))
	return &initEnv{
		sock:     os.NewFile(uintptr(sock), "sync"),
		cfgPipe:  os.NewFile(uintptr(cfg), "config"),
		fifoFd:   fifo,
		preserve: pres,
	}, nil
}

// Init is the container side of create: it runs in the namespaces the
// nsenter stage made, sets the container up step by step, reports ready,
// waits on exec.fifo and execs the user's process. It returns only on error,
// after reporting it to the parent.
func Init() error {
	// Namespaces, credentials and the like are per thread: keep this one.
	runtime.LockOSThread()
	logs.ToPipe()
	env, err := readInitEnv()
	if err != nil {
		return err
	}
	// Nothing of the parent's reaches the hooks init runs (createContainer,
	// startContainer: without an env of their own they inherit init's, as
	// in runc) nor the user's process, whose environment is its config's.
	os.Clearenv()
	err = runInit(env)
	// The error goes to the parent, which reports it once.
	step, msg := "init", err.Error()
	if se := (*stepError)(nil); errors.As(err, &se) {
		step, msg = se.step, se.err.Error()
	}
	_ = sendMsg(env.sock, syncMsg{Type: msgError, Step: step, Msg: msg}, -1)
	return err
}

// stepError names the init step that failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }

func step(name string, err error) error {
	if err == nil {
		logs.Debugf("init: %s: done", name)
		return nil
	}
	return &stepError{step: name, err: err}
}

func runInit(env *initEnv) error {
	raw, err := io.ReadAll(env.cfgPipe)
	_ = env.cfgPipe.Close()
	if err != nil {
		return step("read config", err)
	}
	var data initData
	if err := json.Unmarshal(raw, &data); err != nil || data.Config == nil {
		return step("read config", fmt.Errorf("malformed config from parent: %w", err))
	}
	cfg := *data.Config
	env.id, env.bundle = data.ID, data.Bundle
	if _, err := unix.Setsid(); err != nil && cfg.Process.Terminal {
		return step("setsid", err)
	}
	if !cfg.NoNewKeyring {
		// A fresh session keyring, so the container sees none of the host's
		// keys.
		if _, err := unix.KeyctlJoinSessionKeyring("_ses.berth"); err != nil && err != unix.ENOSYS && err != unix.EPERM {
			return step("join session keyring", err)
		}
	}
	if err := step("prepare rootfs", rootfs.Prepare(&cfg, sourceOpener(env.sock))); err != nil {
		return err
	}
	if hasCreateHooks(&cfg) {
		if err := sendMsg(env.sock, syncMsg{Type: msgHooks}, -1); err != nil {
			return err
		}
		if _, err := expect(env.sock, msgHooksDone); err != nil {
			return err
		}
	}
	if cfg.Hooks != nil && len(cfg.Hooks.CreateContainer) > 0 {
		// As in runc, whose hooks (Docker's, NVIDIA's) may use relative
		// paths: they run in the container's rootfs, its mounts made.
		if err := unix.Chdir(cfg.Rootfs); err != nil {
			return step("enter rootfs", fmt.Errorf("chdir to root.path %s: %w", cfg.Rootfs, err))
		}
		st := hookState(env, &cfg, specs.StateCreated)
		if err := runHooks("createContainer", cfg.Hooks.CreateContainer, st); err != nil {
			return step("hooks", err)
		}
	}
	if err := step("enter rootfs", rootfs.Enter(&cfg)); err != nil {
		return err
	}
	return finishInit(env, &cfg)
}

// hookState is the state the hooks that init runs itself get: they run in
// the container's namespaces, so the pid is init's as the container sees
// it (runtime.md "State": "for hooks executed in the container namespace,
// it is the pid as seen by the container").
func hookState(env *initEnv, cfg *configs.Config, status specs.ContainerState) *specs.State {
	return &specs.State{
		Version:     cfg.Version,
		ID:          env.id,
		Status:      status,
		Pid:         os.Getpid(),
		Bundle:      env.bundle,
		Annotations: cfg.Annotations,
	}
}

func hasCreateHooks(cfg *configs.Config) bool {
	return cfg.Hooks != nil && (len(cfg.Hooks.Prestart) > 0 || len(cfg.Hooks.CreateRuntime) > 0)
}

// finishInit is the part of the checklist after the root is in place. exec
// runs the same steps from a plan in the C stage (exec_plan.go): keep the
// two in the same order.
func finishInit(env *initEnv, cfg *configs.Config) error {
	p := &cfg.Process
	if err := step("hostname", setHostname(cfg)); err != nil {
		return err
	}
	if err := step("loopback", upLoopback(cfg)); err != nil {
		return err
	}
	if err := step("sysctl", writeSysctls(cfg.Sysctl)); err != nil {
		return err
	}
	if err := step("readonly and masked paths", rootfs.ProtectPaths(cfg)); err != nil {
		return err
	}
	if _, own := cfg.NamespacePath("mount"); own {
		if err := step("reopen /dev/null", reopenDevNull()); err != nil {
			return err
		}
	}
	if p.Terminal {
		if err := step("console", setupConsole(env.sock, p)); err != nil {
			return err
		}
	}
	// Read as root, before the user switch: the image's /etc/passwd may
	// be closed to process.user.
	p.Env = processEnv(p.Env, p.UID)
	if p.ListenFDs > 0 {
		p.Env = listenPidEnv(p.Env)
	}
	path, err := lookPath(p)
	if err != nil {
		return step("exec", err)
	}
	// Compiled now, so a profile the kernel or libseccomp cannot express is
	// an error of create; loaded as late as possible (see loadSeccomp).
	filter, err := seccomp.Compile(p.Seccomp)
	if err != nil {
		return step("seccomp", err)
	}
	// Capabilities that the last steps need beyond the configured ones:
	// loading a filter without no_new_privs needs CAP_SYS_ADMIN, raising a
	// limit CAP_SYS_RESOURCE. They are dropped right before execve.
	var keep []string
	if filter != nil && !p.NoNewPrivileges {
		keep = append(keep, "CAP_SYS_ADMIN")
	}
	if len(p.Rlimits) > 0 {
		keep = append(keep, "CAP_SYS_RESOURCE")
	}
	if err := step("process attributes", applyProcessAttrs(cfg)); err != nil {
		return err
	}
	if err := step("memory policy", setMemoryPolicy(cfg.MemoryPolicy)); err != nil {
		return err
	}
	var caps *capabilities.Caps
	if p.Capabilities != nil {
		if caps, err = capabilities.New(p.Capabilities); err != nil {
			return step("capabilities", err)
		}
		if err := step("capabilities", caps.ApplyBounding()); err != nil {
			return err
		}
	}
	// process.cwd is entered while still root, as runc does, so that a
	// directory closed to process.user (its home, /root 0700) still
	// works; only a permission error is retried as the user (a directory
	// on a root-squashing NFS that only the user may enter).
	cwdErr := chdir(p.Cwd)
	if cwdErr != nil && !errors.Is(cwdErr, os.ErrPermission) {
		return step("cwd", cwdErr)
	}
	if err := step("user", setUser(p)); err != nil {
		return err
	}
	logs.Debugf("init: user uid %d gid %d additional gids %v", p.UID, p.GID, p.AdditionalGids)
	if cwdErr != nil {
		if err := step("cwd", chdir(p.Cwd)); err != nil {
			return err
		}
	}
	if caps != nil {
		if err := step("capabilities", caps.ApplyRest(keep...)); err != nil {
			return err
		}
		for _, w := range caps.Warnings() {
			if err := sendMsg(env.sock, syncMsg{Type: msgWarning, Msg: w}, -1); err != nil {
				return err
			}
		}
		c := p.Capabilities
		logs.Debugf("init: capabilities bounding %v effective %v permitted %v inheritable %v ambient %v (kept until execve: %v)",
			c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient, keep)
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return step("no_new_privs", err)
		}
	}
	if p.Umask != nil {
		unix.Umask(int(*p.Umask))
	}
	if err := step("close fds", closeExtraFds(3+env.preserve)); err != nil {
		return err
	}
	if filter.HasNotify() {
		// The listener must reach the agent through the parent, which is
		// gone after ready: load now, while the sync socket is open.
		if err := step("seccomp", loadSeccomp(filter, env.sock)); err != nil {
			return err
		}
		filter = nil
	}
	if logs.Debugging {
		// Guarded: the description is built only for --debug, not on
		// every container's start.
		logs.Debugf("init: ready; next: %s", nextSteps(filter, p, path))
	}
	logs.ClosePipe()
	if err := sendMsg(env.sock, syncMsg{Type: msgReady}, -1); err != nil {
		return err
	}
	_ = env.sock.Close()
	// Block until `start` opens the other end of the fifo. The fd is an
	// O_PATH one: reopen it through /proc for writing.
	fifo, err := unix.Open("/proc/self/fd/"+strconv.Itoa(env.fifoFd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return execFailed(fmt.Errorf("open exec fifo: %w", err))
	}
	unix.Close(env.fifoFd)
	// From here an error goes to `start`, which reads the fifo to its end:
	// "0" is success, anything else the error.
	startFifo = fifo
	// The filter comes before the startContainer hooks, which run under
	// it as in runc: a hook is part of the container's start, and tools
	// written for runc (seccomp agents, say) expect to see its calls.
	if err := loadSeccomp(filter, nil); err != nil {
		return execFailed(err)
	}
	filter = nil
	// runtime.md step 7: startContainer hooks run before the process, and
	// their failure is an error of start.
	if cfg.Hooks != nil && len(cfg.Hooks.StartContainer) > 0 {
		st := hookState(env, cfg, specs.StateCreated)
		if err := runHooks("startContainer", cfg.Hooks.StartContainer, st); err != nil {
			_, _ = unix.Write(fifo, []byte(fifoHookFailed+err.Error()))
			os.Exit(1)
		}
	}
	if _, err := unix.Write(fifo, []byte(fifoOK)); err != nil {
		return execFailed(fmt.Errorf("write exec fifo: %w", err))
	}
	// The fifo stays open, close-on-exec: `start` sees its end when execve
	// has succeeded (so poststart hooks run after the process is executed),
	// and an error after this point is written to it instead.
	return execFailed(lastSteps(filter, caps, p, path))
}

// lastSteps are the steps after which nothing of init's may run: the
// seccomp filter (nothing it forbids, chdir or getcwd say, can break the
// set-up any more; create loads it earlier, once `start` has come, for
// the startContainer hooks), the rlimits (an address-space or data limit would
// starve this Go process, and libseccomp, if set earlier), dropping the
// capabilities kept for them, and execve. It returns only on error.
func lastSteps(filter *seccomp.Filter, caps *capabilities.Caps, p *configs.Process, path string) error {
	if err := loadSeccomp(filter, nil); err != nil {
		return err
	}
	if err := setRlimits(p.Rlimits); err != nil {
		return err
	}
	if err := setExecLabels(p); err != nil {
		return err
	}
	if caps != nil {
		if err := caps.DropKept(); err != nil {
			return err
		}
	}
	if err := syscall.Exec(path, p.Args, p.Env); err != nil {
		// One line naming the file, as runc's: an interpreter or loader
		// missing makes execve say ENOENT for a path that exists.
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}

// nextSteps says, for the debug log, what init does after ready (the log
// pipe is closed by then: the parent may be gone).
func nextSteps(filter *seccomp.Filter, p *configs.Process, path string) string {
	s := []string{"wait on exec.fifo"}
	if filter != nil {
		s = append(s, "load seccomp filter")
	}
	if len(p.Rlimits) > 0 {
		s = append(s, fmt.Sprintf("set %d rlimits", len(p.Rlimits)))
	}
	return strings.Join(append(s, fmt.Sprintf("execve %s %q", path, p.Args)), ", ")
}

// startFifo is the exec fifo once `start` has opened it, else -1.
var startFifo = -1

// execFailed reports an error that happened after ready: the parent is
// gone, so it goes to `start` through the fifo if it is waiting, else to
// the container's stderr; and init exits.
func execFailed(err error) error {
	if startFifo >= 0 {
		_, _ = unix.Write(startFifo, []byte(fifoFailed+err.Error()))
	} else {
		fmt.Fprintf(os.Stderr, "berth init: %v\n", err)
	}
	os.Exit(127)
	return err
}
