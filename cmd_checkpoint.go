package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// checkpoint and restore have runc's flags, so that callers (containerd,
// Podman, Docker) find the commands and their help, but no CRIU behind
// them yet: each fails, changing nothing, once its arguments are checked.

var errNoCRIU = errors.New("checkpoint/restore (CRIU) is not implemented in berth yet")

var checkpointCommand = &cli.Command{
	Name:      "checkpoint",
	Usage:     "save a running container's state to disk with CRIU (not implemented yet)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "directory for the CRIU image files"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and logs"},
		&cli.StringFlag{Name: "parent-path", Usage: "directory of the image files of an earlier pre-dump"},
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
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace to create without restoring its contents"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
	},
	Action: func(c *cli.Context) error {
		// An unknown container is reported as such, as for every command.
		if _, err := loadContainer(c); err != nil {
			return err
		}
		return errNoCRIU
	},
}

var restoreCommand = &cli.Command{
	Name:      "restore",
	Usage:     "make a container from a checkpoint with CRIU (not implemented yet)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "image-path", Usage: "directory of the CRIU image files"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and logs"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "restore established TCP connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow unix sockets connected outside the container"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow a process attached to a terminal (a shell job)"},
		&cli.BoolFlag{Name: "file-locks", Usage: "restore file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default soft)"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "bundle directory (default: current directory)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the init's host pid to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "accepted for runc compatibility"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root (ramdisk roots)"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace to create without restoring its contents"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "restore memory pages on demand (userfaultfd)"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile for the restored process, TYPE:NAME"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context for the restore"},
	},
	Action: func(c *cli.Context) error {
		if _, err := containerID(c); err != nil {
			return err
		}
		return errNoCRIU
	},
}
