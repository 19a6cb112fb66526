package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	// The C stage, a constructor that runs before the Go runtime: a
	// container's init (create's and exec's) runs there, from the plan the
	// parent sends, and never returns to Go.
	_ "github.com/berth-runtime/berth/nsenter"
)

// runInit is the hidden `init` command, which the parent gives the sealed
// copy of berth it starts as init (so that ps names it). Started by the
// parent, the C stage has taken over before Go; reaching Go means berth was
// started by hand.
func runInit() {
	fmt.Fprintln(os.Stderr, "berth init: _BERTH_INITPIPE not set: berth init is not meant to be run by hand")
	os.Exit(1)
}

// initCommand is `init` after global flags (berth --root X init): by hand
// too, so it says the same, not that there is no such command.
var initCommand = &cli.Command{
	Name:            "init",
	Hidden:          true,
	SkipFlagParsing: true,
	Action: func(*cli.Context) error {
		runInit()
		return nil
	},
}
