package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer"
)

// checkpoint and restore drive CRIU (libcontainer/criu_*.go) with runc's
// flags, so that containerd, Podman and Docker find what they call.

var checkpointCommand = &cli.Command{
	Name:      "checkpoint",
	Usage:     "save a running container's state to disk with CRIU",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "directory for the CRIU image files (default: ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and logs (default: the image path)"},
		&cli.StringFlag{Name: "parent-path", Usage: "directory of the image files of an earlier pre-dump, relative to the image path"},
		&cli.BoolFlag{Name: "leave-running", Usage: "keep the container running after the checkpoint"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "checkpoint established TCP connections"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip TCP connections not yet established"},
		&cli.BoolFlag{Name: "link-remap", Usage: "link unlinked files back where possible"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow unix sockets connected outside the container"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow a process attached to a terminal (a shell job)"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "leave memory pages to be restored on demand (userfaultfd)"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "fd CRIU writes a zero byte to once lazy pages are ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of a CRIU page server"},
		&cli.BoolFlag{Name: "file-locks", Usage: "checkpoint file locks"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump memory only, and leave the container running"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default soft)"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace to create without restoring its contents (network)"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		o, err := criuOpts(c)
		if err != nil {
			return err
		}
		o.ParentPath = c.String("parent-path")
		o.LeaveRunning = c.Bool("leave-running")
		o.TCPSkipInFlight = c.Bool("tcp-skip-in-flight")
		o.LinkRemap = c.Bool("link-remap")
		o.PreDump = c.Bool("pre-dump")
		o.StatusFd = c.Int("status-fd")
		o.PageServer = c.String("page-server")
		return ct.Checkpoint(o)
	},
}

var restoreCommand = &cli.Command{
	Name:      "restore",
	Usage:     "make a container from a checkpoint with CRIU",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "image-path", Usage: "directory of the CRIU image files (default: ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and logs (default: the image path)"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "restore established TCP connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow unix sockets connected outside the container"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow a process attached to a terminal (a shell job)"},
		&cli.BoolFlag{Name: "file-locks", Usage: "restore file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default soft)"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "bundle directory (default: current directory)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the init's host pid to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper in the foreground (the restored init is berth's child)"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root (ramdisk roots)"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace to create without restoring its contents (network)"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "restore memory pages on demand (userfaultfd)"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile for the restored process, TYPE:NAME"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context for the restore"},
	},
	Action: restore,
}

// criuOpts reads the flags checkpoint and restore share.
func criuOpts(c *cli.Context) (libcontainer.CriuOpts, error) {
	img := c.String("image-path")
	if img == "" {
		img = "checkpoint"
	}
	img, err := filepath.Abs(img)
	if err != nil {
		return libcontainer.CriuOpts{}, fmt.Errorf("--image-path: %w", err)
	}
	work := c.String("work-path")
	if work != "" {
		if work, err = filepath.Abs(work); err != nil {
			return libcontainer.CriuOpts{}, fmt.Errorf("--work-path: %w", err)
		}
	}
	return libcontainer.CriuOpts{
		ImagePath:      img,
		WorkPath:       work,
		TCPEstablished: c.Bool("tcp-established"),
		ExtUnixSk:      c.Bool("ext-unix-sk"),
		ShellJob:       c.Bool("shell-job"),
		FileLocks:      c.Bool("file-locks"),
		AutoDedup:      c.Bool("auto-dedup"),
		LazyPages:      c.Bool("lazy-pages"),
		StatusFd:       -1,
		CgroupsMode:    c.String("manage-cgroups-mode"),
		EmptyNs:        c.StringSlice("empty-ns"),
	}, nil
}

func restore(c *cli.Context) error {
	id, err := containerID(c)
	if err != nil {
		return err
	}
	root, err := stateRoot(c)
	if err != nil {
		return err
	}
	o, err := criuOpts(c)
	if err != nil {
		return err
	}
	o.LsmProfile = c.String("lsm-profile")
	o.LsmMountContext = c.String("lsm-mount-context")
	detach := c.Bool("detach")
	if !detach && !c.Bool("no-subreaper") {
		// What the restored init leaves behind when it dies comes to us.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return err
		}
	}
	sigs := make(chan os.Signal, 64)
	if !detach {
		signal.Notify(sigs)
	}
	bundle, cfg, err := loadBundle(c, id, nil)
	if err != nil {
		return err
	}
	ct, err := libcontainer.Restore(libcontainer.RestoreOpts{
		Root:          root,
		ID:            id,
		Bundle:        bundle,
		Config:        cfg,
		ConsoleSocket: c.String("console-socket"),
		PidFile:       c.String("pid-file"),
		Criu:          o,
	})
	if err != nil {
		return err
	}
	st := followProcess(detach, nil, ct.State.Pid, sigs)
	if st == nil {
		return nil
	}
	// As a foreground run: the container goes with its process.
	if err := ct.Destroy(true); err != nil {
		logWarn(err.Error())
	}
	return st
}
