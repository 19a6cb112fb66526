package main

import (
	"os"
	"os/signal"

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
