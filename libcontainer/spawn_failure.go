package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// What a failed create or exec reports, and how it undoes what it made.

// initFailed turns a protocol failure into the error the user sees: the
// init's own report when it sent one.
func (sp *spawner) initFailed(err error) error {
	var ie *initError
	if errors.As(err, &ie) {
		return err
	}
	if errors.Is(err, errInitExited) && sp.cmd != nil {
		if st := waitExit(sp.cmd.Process.Pid); st != "" {
			if n, oerr := sp.c.OOMKills(); oerr == nil && n > 0 {
				return fmt.Errorf("%w (%s): the container's cgroup ran out of memory (%s)", errInitExited, st, memoryLimitText(sp.o.Config.Resources))
			}
			return fmt.Errorf("%w (%s)", errInitExited, st)
		}
	}
	return err
}

// memoryLimitText names the limit an out-of-memory init ran into.
func memoryLimitText(r *specs.LinuxResources) string {
	if r != nil && r.Memory != nil && r.Memory.Limit != nil && *r.Memory.Limit > 0 {
		return fmt.Sprintf("linux.resources.memory.limit %d is too low", *r.Memory.Limit)
	}
	return "a parent cgroup's memory limit is too low"
}

// reap collects pid if it is our exited child, waiting briefly for the exit
// to land; anything else (not our child) returns at once.
func reap(pid int) {
	var ws unix.WaitStatus
	for i := 0; i < 200; i++ {
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil || wpid == pid {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// waitExit reaps pid if it is our exited child and describes its status.
func waitExit(pid int) string {
	var ws unix.WaitStatus
	for i := 0; i < 100; i++ {
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil || wpid == pid {
			break
		}
		time.Sleep(time.Millisecond)
	}
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + unix.SignalName(ws.Signal())
	}
	return ""
}

// cleanup undoes a failed Create: kill init, remove cgroups, remove the
// state directory. The pid file is never written before success. What it
// cannot undo it returns; the state directory then stays, so that delete
// --force finds the rest.
func (sp *spawner) cleanup() error {
	if sp.sock != nil {
		_ = sp.sock.Close()
	}
	if sp.cfgPipe != nil {
		_ = sp.cfgPipe.Close()
	}
	if sp.console != nil {
		_ = sp.console.Close()
	}
	// Before init dies: the devices go back to the host, not (virtual
	// ones) to their end with the namespace.
	var errs []error
	if err := sp.netDevs.undo(); err != nil {
		errs = append(errs, err)
	}
	if sp.cmd != nil && sp.cmd.Process != nil {
		_ = sp.cmd.Process.Kill()
		_ = sp.cmd.Wait()
	}
	if sp.pid > 0 {
		_ = signalPid(sp.pid, sp.startTime, unix.SIGKILL)
		if !waitGone(sp.pid, sp.startTime, 5*time.Second) {
			errs = append(errs, fmt.Errorf("init %d did not die after SIGKILL", sp.pid))
		}
		// A zombie counts as gone; if it is ours (our child, or given to
		// us as subreaper), reap it so nothing is left in the container.
		reap(sp.pid)
	}
	sp.finishLogs()
	if sp.exec {
		return errors.Join(errs...)
	}
	if err := sp.c.destroyCgroups(); err != nil {
		errs = append(errs, err)
	}
	if sp.rdt != nil {
		if err := sp.rdt.Destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := sp.c.unmountShared(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(sp.c.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", sp.c.Dir, err))
		}
	}
	return errors.Join(errs...)
}

// withCleanup adds to err what cleaning up after it could not undo.
func withCleanup(err, cerr error) error {
	if cerr == nil {
		return err
	}
	msg := strings.ReplaceAll(cerr.Error(), "\n", "; ")
	return fmt.Errorf("%w; cleaning up failed too, delete --force removes the rest: %s", err, msg)
}
