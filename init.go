package main

import (
	"errors"
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
		// Any other error went to the parent, which reports it.
		if errors.Is(err, libcontainer.ErrNotInit) {
			fmt.Fprintln(os.Stderr, "berth init:", err)
		}
		os.Exit(1)
	}
	os.Exit(0)
}
