package main

import (
	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "ID",
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		if ct.Status() != libcontainer.Created {
			// Start says why not, before the socket of a running
			// container could be bound again.
			return ct.Start()
		}
		// With NOTIFY_SOCKET, as runc: the container's notify socket is
		// bound now (create made its directory), and start returns once
		// the process has said READY=1 (relayed with its init as
		// MAINPID) or has gone.
		relay, err := dialNotify()
		if err != nil {
			return err
		}
		if relay == nil {
			return ct.Start()
		}
		defer relay.Close()
		if err := relay.Listen(ct); err != nil {
			return err
		}
		if err := ct.Start(); err != nil {
			return err
		}
		return relay.Wait(ct.State.Pid, initAlive(ct), nil)
	},
}
