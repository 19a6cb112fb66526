package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

// stateJSON is what `state` and `list --format json` print: runtime-spec's
// state plus runc's rootfs, created and owner.
type stateJSON struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

func toStateJSON(c *libcontainer.Container) stateJSON {
	st := c.Status()
	pid := c.State.Pid
	if st == libcontainer.Stopped {
		pid = 0
	}
	return stateJSON{
		OCIVersion:  c.State.OCIVersion,
		ID:          c.ID,
		Pid:         pid,
		Status:      st,
		Bundle:      c.State.Bundle,
		Rootfs:      c.State.Rootfs,
		Created:     c.State.Created,
		Annotations: c.State.Annotations,
		Owner:       c.State.Owner,
	}
}

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print the state of a container as JSON",
	ArgsUsage: "ID",
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		return printJSON(toStateJSON(ct))
	},
}
