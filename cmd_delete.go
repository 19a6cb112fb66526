package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Aliases:   []string{"rm"},
	Usage:     "delete a stopped or created container (with --force, any container)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it is running or paused"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if errors.Is(err, libcontainer.ErrNotExist) || errors.Is(err, libcontainer.ErrCorrupt) {
			// A create killed before it wrote state.json leaves a bare
			// directory; a corrupt state.json goes with --force. With
			// --force a missing container is not an error, as in runc.
			root, _ := stateRoot(c)
			err = libcontainer.RemoveBroken(root, c.Args().First(), c.Bool("force"))
			if errors.Is(err, libcontainer.ErrNotExist) && c.Bool("force") {
				return nil
			}
			return err
		}
		if err != nil {
			return err
		}
		unlock, err := ct.Lock()
		if errors.Is(err, libcontainer.ErrNotExist) && c.Bool("force") {
			// Deleted by another command while we waited for the lock.
			return nil
		}
		if err != nil {
			return err
		}
		defer unlock()
		return ct.Destroy(c.Bool("force"))
	},
}
