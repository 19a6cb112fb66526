package main

import (
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container; in the foreground, wait for it and delete it",
	ArgsUsage: "ID",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container has started"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "accepted for runc compatibility"},
	}, createFlags...),
	Action: func(c *cli.Context) error {
		detach := c.Bool("detach")
		if !detach {
			// init may be forked by an intermediate process (new pid
			// namespace) that exits: as subreaper we inherit init and can
			// wait for it.
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return err
			}
		}
		// Signals that arrive before init runs must not kill berth and
		// strand a half-made container: take them from the start.
		sigs := make(chan os.Signal, 64)
		if !detach {
			signal.Notify(sigs)
		}
		// NOTIFY_SOCKET is dialled first: a socket nobody listens on
		// fails run with nothing made.
		relay, err := dialNotify()
		if err != nil {
			return err
		}
		defer relay.Close()
		res, err := create(c, !detach)
		if err != nil {
			return err
		}
		ct := res.Container
		if relay != nil {
			if err := relay.Listen(ct); err != nil {
				_ = ct.Destroy(true)
				return err
			}
		}
		if err := ct.Start(); err != nil {
			_ = ct.Destroy(true)
			return err
		}
		if relay != nil && detach {
			// As runc: run -d returns once the container is ready (or
			// its process has gone), and systemd watches its init. A
			// relay that fails now leaves a running container, which is
			// what run -d was asked for: say so, and succeed.
			if err := relay.Wait(ct.State.Pid, initAlive(ct), nil); err != nil {
				logWarn(err.Error())
			}
			return nil
		}
		relayDone := relayInForeground(relay, ct)
		st := followProcess(detach, res.Console, ct.State.Pid, sigs)
		relayDone()
		if st == nil {
			return nil
		}
		if !c.Bool("keep") {
			if err := ct.Destroy(true); err != nil {
				logWarn(err.Error())
			}
		}
		return st
	},
}

// relayInForeground relays the container's READY=1 while a foreground run
// waits for its process, with berth's own pid as MAINPID (as runc: berth
// lives as long as the container and exits with its status). The returned
// func, called once the process has exited, waits for a relay under way.
func relayInForeground(relay *libcontainer.NotifyRelay, ct *libcontainer.Container) func() {
	if relay == nil {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if err := relay.Wait(os.Getpid(), initAlive(ct), stop); err != nil {
			logWarn(err.Error())
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

// followProcess is the end of run and exec. Detached, it lets go of the
// pty and returns nil. In the foreground it proxies the pty (if any),
// forwards signals, and returns the process's exit status.
func followProcess(detach bool, console *os.File, pid int, sigs chan os.Signal) *exitStatus {
	if detach {
		if console != nil {
			_ = console.Close()
		}
		return nil
	}
	if console != nil {
		restore := proxyConsole(console)
		defer restore()
	}
	return &exitStatus{code: waitProcess(pid, sigs)}
}

// waitProcess forwards signals to pid until it exits, reaps whatever else
// is reparented to us, and returns pid's exit status the way a shell would
// (128+signal for a signal).
func waitProcess(pid int, sigs chan os.Signal) int {
	done := make(chan int, 1)
	go func() {
		for {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				done <- 255
				return
			}
			if wpid != pid {
				continue
			}
			switch {
			case ws.Exited():
				done <- ws.ExitStatus()
			case ws.Signaled():
				done <- 128 + int(ws.Signal())
			default:
				continue
			}
			return
		}
	}()
	for {
		select {
		case code := <-done:
			return code
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
				continue
			case unix.SIGWINCH:
				resizeConsole()
				continue
			}
			_ = unix.Kill(pid, sig)
		}
	}
}

// proxyConsole copies between our stdio and the pty master, with our
// terminal (if any) in raw mode; the returned func restores it.
func proxyConsole(master *os.File) func() {
	consoleMaster = master
	var restore func()
	if st, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		raw := *st
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		if unix.IoctlSetTermios(0, unix.TCSETS, &raw) == nil {
			restore = func() { _ = unix.IoctlSetTermios(0, unix.TCSETS, st) }
		}
		resizeConsole()
	}
	go func() { _, _ = io.Copy(master, os.Stdin) }()
	out := make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, master)
		close(out)
	}()
	return func() {
		// Drain what the container wrote before it exited (EIO ends it);
		// a process that escaped with the slave open must not hang us.
		select {
		case <-out:
		case <-time.After(time.Second):
		}
		if restore != nil {
			restore()
		}
	}
}

var consoleMaster *os.File

func resizeConsole() {
	if consoleMaster == nil {
		return
	}
	if ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ); err == nil {
		_ = unix.IoctlSetWinsize(int(consoleMaster.Fd()), unix.TIOCSWINSZ, ws)
	}
}
