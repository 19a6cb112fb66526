package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

var listCommand = &cli.Command{
	Name:    "list",
	Aliases: []string{"ls"},
	Usage:   "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only IDs"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgCount(c, 0); err != nil {
			return err
		}
		root, err := stateRoot(c)
		if err != nil {
			return err
		}
		// A missing default root only means no container was made yet;
		// a --root the caller names must exist (a typo in it would
		// otherwise list nothing, and look like success).
		if c.IsSet("root") {
			if _, err := os.Stat(root); err != nil {
				return fmt.Errorf("--root: %w", err)
			}
		}
		cts, err := libcontainer.List(root)
		if err != nil {
			return err
		}
		if c.Bool("quiet") {
			for _, ct := range cts {
				fmt.Println(ct.ID)
			}
			return nil
		}
		switch f := c.String("format"); f {
		case "json":
			out := make([]stateJSON, 0, len(cts))
			for _, ct := range cts {
				out = append(out, toStateJSON(ct))
			}
			// One line, as runc prints it (callers read it as a stream
			// of lines).
			return json.NewEncoder(os.Stdout).Encode(out)
		case "table":
			w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
			_, _ = fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, ct := range cts {
				s := toStateJSON(ct)
				_, _ = fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
					s.Created.Format(time.RFC3339Nano), s.Owner)
			}
			return w.Flush()
		default:
			return fmt.Errorf("--format %q: must be table or json", f)
		}
	},
}
