package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/proc"
)

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
