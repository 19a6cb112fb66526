package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal to a container's init (default SIGTERM)",
	ArgsUsage: "ID [SIGNAL]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		sig := unix.SIGTERM
		if c.NArg() > 1 {
			if sig, err = parseSignal(c.Args().Get(1)); err != nil {
				return err
			}
		}
		return ct.Signal(sig, c.Bool("all"))
	},
}

// parseSignal takes a number (9), a name (KILL) or a full name (SIGKILL).
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		// 0 sends nothing: a check that init is alive (kill(2)).
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	// Real-time signals by name: SIGRTMIN+3, SIGRTMAX-1.
	for _, base := range []struct {
		name string
		num  int
	}{{"SIGRTMIN", 34}, {"SIGRTMAX", 64}} {
		if rest, ok := strings.CutPrefix(name, base.name); ok {
			off := 0
			if rest != "" {
				var err error
				if off, err = strconv.Atoi(rest); err != nil {
					return 0, fmt.Errorf("invalid signal %q", s)
				}
			}
			if n := base.num + off; n >= 34 && n <= 64 {
				return unix.Signal(n), nil
			}
		}
	}
	return 0, fmt.Errorf("invalid signal %q", s)
}
