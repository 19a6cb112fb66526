package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Aliases:   []string{"rm"},
	Usage:     "delete a stopped container (with --force, any container)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it is not stopped"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if errors.Is(err, libcontainer.ErrNotExist) {
			// A create killed before it wrote state.json leaves a bare
			// directory: remove it. With --force a missing container is
			// not an error, as in runc.
			root, _ := stateRoot(c)
			os.RemoveAll(filepath.Join(root, c.Args().First()))
			if c.Bool("force") {
				return nil
			}
		}
		if err != nil {
			return err
		}
		unlock, err := ct.Lock()
		if err != nil {
			return err
		}
		defer unlock()
		return ct.Destroy(c.Bool("force"))
	},
}
