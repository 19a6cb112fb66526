package main

import (
	"fmt"
	"os"

	"github.com/berth-runtime/berth/libcontainer"
	// The C stage that enters namespaces before the Go runtime starts.
	_ "github.com/berth-runtime/berth/nsenter"
)

// runInit is the hidden `init` command: the container side of create. The
// parent reports its errors; exit non-zero so it sees the failure.
func runInit() {
	if err := libcontainer.Init(); err != nil {
		if os.Getenv("_BERTH_INITPIPE") == "" {
			fmt.Fprintln(os.Stderr, "berth init:", err)
		}
		os.Exit(1)
	}
	os.Exit(0)
}
