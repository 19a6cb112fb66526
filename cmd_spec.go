package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/cgroups"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a default config.json into the bundle",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "bundle directory (default: current directory)"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config for an unprivileged user (user namespace)"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgCount(c, 0); err != nil {
			return err
		}
		bundle := c.String("bundle")
		if bundle == "" {
			bundle = "."
		}
		path := filepath.Join(bundle, "config.json")
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s already exists: remove it first", path)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		spec := defaultSpec(cgroups.Unified())
		if c.Bool("rootless") {
			makeRootless(spec)
		}
		b, err := json.MarshalIndent(spec, "", "\t")
		if err != nil {
			return err
		}
		return os.WriteFile(path, append(b, '\n'), 0o666)
	},
}
