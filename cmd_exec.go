package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/cgroups"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/specconv"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run another process in a running container",
	ArgsUsage: "ID [COMMAND [ARG...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "process.json (runtime-spec process) to run"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the process's host pid to"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the process a pty"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (K=V)"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid]"},
		&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "an additional gid"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3 .. 3+N-1 to the process"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run in an existing sub-cgroup of the container's: [controller[,controller]:]path"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even into a paused container"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process"},
	},
	Action: exitStatus255(func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		sub, err := cgroups.ParseSubCgroups(c.StringSlice("cgroup"))
		if err != nil {
			return err
		}
		if err := checkPreserveFds(0, c.Int("preserve-fds")); err != nil {
			return err
		}
		p, err := execProcess(c, ct)
		if err != nil {
			return err
		}
		detach := c.Bool("detach")
		if p.Terminal && c.String("console-socket") == "" && detach {
			return fmt.Errorf("a terminal with --detach needs --console-socket")
		}
		// As subreaper we inherit the process from the intermediate that
		// forks it into the pid namespace: to wait for it, and, detached, to
		// reap it if it fails before it runs (else a zombie lingers in the
		// container until the host's init gets to it). Once we exit, it
		// passes on to our own subreaper (a shim) as usual.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return err
		}
		pidfdConn, err := dialPidfdSocket(c.String("pidfd-socket"))
		if err != nil {
			return err
		}
		if pidfdConn != nil {
			defer func() { _ = pidfdConn.Close() }()
		}
		var sigs chan os.Signal
		if !detach {
			sigs = make(chan os.Signal, 64)
			signal.Notify(sigs)
		}
		res, err := ct.Exec(libcontainer.ExecOpts{
			Process:       p,
			PreserveFDs:   c.Int("preserve-fds"),
			ConsoleSocket: c.String("console-socket"),
			PidFile:       c.String("pid-file"),
			IgnorePaused:  c.Bool("ignore-paused"),
			SubCgroups:    sub,
			Warn:          logWarn,
		})
		if err != nil {
			return err
		}
		if pidfdConn != nil {
			if err := sendPidfd(pidfdConn, res.Pid); err != nil {
				// The caller would hold no handle on it: as any failed
				// exec, leave no process behind.
				_ = unix.Kill(res.Pid, unix.SIGKILL)
				if res.Console != nil {
					_ = res.Console.Close()
				}
				return err
			}
		}
		if st := followProcess(detach, res.Console, res.Pid, sigs); st != nil {
			return st
		}
		return nil
	}),
}

// exitStatus255 makes a failure of berth's own in exec exit 255, as runc's
// does, so that a caller can tell it from the process's status, which is
// passed through; a usage error (no ID) stays 1.
func exitStatus255(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() < 1 {
			return fmt.Errorf("exec: container ID missing")
		}
		err := action(c)
		var ex *exitStatus
		if err == nil || errors.As(err, &ex) {
			return err
		}
		return &runtimeFailure{code: 255, err: err}
	}
}

// execProcess builds the process to run: from --process, or from the
// container's own process with the flags' changes (as runc does). Both go
// through specconv.ConvertProcess, so a bad value is refused the same way
// and before any fork.
func execProcess(c *cli.Context, ct *libcontainer.Container) (*configs.Process, error) {
	if path := c.String("process"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		var sp specs.Process
		if err := json.Unmarshal(b, &sp); err != nil {
			return nil, fmt.Errorf("--process %s: %w", path, describeJSONError(err))
		}
		p, err := specconv.ConvertProcess(&sp, ct.State.Config)
		if err != nil {
			return nil, fmt.Errorf("--process %s: %w", path, err)
		}
		return p, nil
	}
	if c.NArg() < 2 {
		return nil, fmt.Errorf("exec: no command given (or use --process)")
	}
	sp, err := flagsProcess(c, specconv.SpecProcess(&ct.State.Config.Process))
	if err != nil {
		return nil, err
	}
	p, err := specconv.ConvertProcess(sp, ct.State.Config)
	if err != nil {
		return nil, flagError(err)
	}
	return p, nil
}

// flagsProcess applies exec's flags to sp, the container's own process.
func flagsProcess(c *cli.Context, sp *specs.Process) (*specs.Process, error) {
	sp.Args = c.Args().Tail()
	sp.Terminal = c.Bool("tty")
	// The entries go after the container's: init keeps only the last entry
	// of each name, where it was last given (as runc does), so an --env
	// entry overrides the container's and moves to the end.
	sp.Env = append(sp.Env, c.StringSlice("env")...)
	if cwd := c.String("cwd"); cwd != "" {
		sp.Cwd = cwd
	}
	if u := c.String("user"); u != "" {
		uid, gid, err := parseUser(u)
		if err != nil {
			return nil, err
		}
		sp.User.UID, sp.User.GID = uid, gid
		sp.User.AdditionalGids = nil
	}
	for _, g := range c.StringSlice("additional-gids") {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--additional-gids %q: not a number", g)
		}
		sp.User.AdditionalGids = append(sp.User.AdditionalGids, uint32(n))
	}
	if caps := c.StringSlice("cap"); len(caps) > 0 {
		sp.Capabilities = addExecCaps(sp.Capabilities, caps)
	}
	if c.Bool("no-new-privs") {
		sp.NoNewPrivileges = true
	}
	if a := c.String("apparmor"); a != "" {
		sp.ApparmorProfile = a
	}
	if l := c.String("process-label"); l != "" {
		sp.SelinuxLabel = l
	}
	return sp, nil
}

// execFlags names the flag that sets each process field, for errors: the
// caller of exec gave a flag, not a config.json field.
var execFlags = []struct{ field, flag string }{
	{"process.args", "COMMAND"},
	{"process.env", "--env"},
	{"process.cwd", "--cwd"},
	{"process.user", "--user"},
	{"process.capabilities", "--cap"},
	{"process.apparmorProfile", "--apparmor"},
	{"process.selinuxLabel", "--process-label"},
}

// flagError puts the flag in front of a conversion error of the field it
// sets ("--cwd: process.cwd: ...").
func flagError(err error) error {
	var fe *specconv.FieldError
	if errors.As(err, &fe) {
		for _, f := range execFlags {
			if strings.HasPrefix(fe.Field, f.field) {
				return fmt.Errorf("%s: %w", f.flag, err)
			}
		}
	}
	return fmt.Errorf("exec: %w", err)
}

// parseUser parses uid[:gid] (numbers, as runc takes them).
func parseUser(s string) (uint32, uint32, error) {
	us, gs, _ := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: uid must be a number", s)
	}
	gid := uint64(0)
	if gs != "" {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("--user %q: gid must be a number", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}

// addExecCaps returns the container's capabilities with exec --cap's added
// to the bounding, effective and permitted sets: what the process may use
// itself. Never to the inheritable set: a capability there survives an
// execve of a file with that capability in its inheritable file set, so
// --cap would reach programs the caller never ran with it
// (CVE-2022-29162, docs/security.md). The ambient set gets it only where
// the inheritable set already holds it, since the kernel raises an ambient
// capability only if it is inheritable too. The sets are copied: the
// container's own config stays as it is.
func addExecCaps(base *specs.LinuxCapabilities, caps []string) *specs.LinuxCapabilities {
	pc := specs.LinuxCapabilities{}
	if base != nil {
		pc = *base
	}
	pc.Bounding = slices.Clone(pc.Bounding)
	pc.Effective = slices.Clone(pc.Effective)
	pc.Permitted = slices.Clone(pc.Permitted)
	pc.Ambient = slices.Clone(pc.Ambient)
	for _, cp := range caps {
		cp = strings.ToUpper(cp)
		if !strings.HasPrefix(cp, "CAP_") {
			cp = "CAP_" + cp
		}
		pc.Bounding = append(pc.Bounding, cp)
		pc.Effective = append(pc.Effective, cp)
		pc.Permitted = append(pc.Permitted, cp)
		if slices.Contains(pc.Inheritable, cp) {
			pc.Ambient = append(pc.Ambient, cp)
		}
	}
	return &pc
}
