package main

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

// createFlags are shared by create and run.
var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "bundle directory (default: current directory)"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master (process.terminal)"},
	&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the container's init"},
	&cli.StringFlag{Name: "pid-file", Usage: "file to write the init's host pid to"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root (ramdisk roots)"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3 .. 3+N-1 to the container"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container; its process waits for start",
	ArgsUsage: "ID",
	Flags:     createFlags,
	Action: func(c *cli.Context) error {
		res, err := create(c, false)
		if err != nil {
			return err
		}
		if res.Console != nil {
			_ = res.Console.Close()
		}
		return nil
	},
}

// create is the common part of create and run.
func create(c *cli.Context, foreground bool) (*libcontainer.CreateResult, error) {
	id, err := containerID(c)
	if err != nil {
		return nil, err
	}
	root, err := stateRoot(c)
	if err != nil {
		return nil, err
	}
	hs, err := hostSocketsFromEnv()
	if err != nil {
		return nil, err
	}
	bundle, cfg, err := loadBundle(c, id, func(s *specs.Spec) { hs.editSpec(s, root, id) })
	if err != nil {
		return nil, err
	}
	cfg.Process.ListenFDs = hs.listenFDs
	if cfg.Process.Terminal && c.String("console-socket") == "" && !foreground {
		return nil, fmt.Errorf("process.terminal is true: --console-socket is required (or run it in the foreground)")
	}
	if !cfg.Process.Terminal && c.String("console-socket") != "" {
		return nil, fmt.Errorf("--console-socket given but process.terminal is false")
	}
	// As runc: the socket-activated fds come first, at 3 on, and the
	// --preserve-fds ones follow them.
	if err := checkPreserveFds(hs.listenFDs, c.Int("preserve-fds")); err != nil {
		return nil, err
	}
	// Connect before anything is made, as runc does: a socket nobody
	// listens on fails create with nothing to undo.
	pidfdConn, err := dialPidfdSocket(c.String("pidfd-socket"))
	if err != nil {
		return nil, err
	}
	if pidfdConn != nil {
		defer func() { _ = pidfdConn.Close() }()
	}
	res, err := libcontainer.Create(libcontainer.CreateOpts{
		Root:          root,
		ID:            id,
		Bundle:        bundle,
		Config:        cfg,
		PreserveFDs:   hs.listenFDs + c.Int("preserve-fds"),
		Notify:        hs.notify != "",
		ConsoleSocket: c.String("console-socket"),
		PidFile:       c.String("pid-file"),
		Warn:          logWarn,
	})
	if err != nil {
		return nil, err
	}
	if pidfdConn != nil {
		if err := sendPidfd(pidfdConn, res.Container.State.Pid); err != nil {
			_ = res.Container.Destroy(true)
			return nil, err
		}
	}
	return res, nil
}
