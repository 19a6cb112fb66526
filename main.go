// berth is an OCI container runtime with runc's command line.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/libcontainer"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "0.1.0"
	commit  = "unknown"
)

const specVersion = "1.3.0"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runInit() // does not return
	}
	app := newApp()
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		// Only a bare warning means success: one joined to an error is
		// part of a failure.
		if w, ok := err.(*libcontainer.Warning); ok { //nolint:errorlint // a bare warning only: wrapped, it is part of a failure
			logWarn(w.Error())
			return
		}
		var ex *exitStatus
		if errors.As(err, &ex) {
			os.Exit(ex.code)
		}
		var rf *runtimeFailure
		if errors.As(err, &rf) {
			fatalCode(rf.err, rf.code)
		}
		fatal(err)
	}
}

func newApp() *cli.App {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Printf("berth version %s\ncommit: %s\nspec: %s\n", version, commit, specVersion)
	}
	return &cli.App{
		Name:                 "berth",
		Usage:                "run OCI containers (runc-compatible command line)",
		Version:              version,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: defaultRoot(), Usage: "directory for container state"},
			&cli.StringFlag{Name: "log", Usage: "log file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "write debug records (what each stage sets up, in order) to the log"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "treat linux.cgroupsPath as slice:prefix:name"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
			&cli.StringFlag{Name: "criu", Hidden: true, Usage: "accepted for runc compatibility"},
		},
		Before: func(c *cli.Context) error {
			if err := setupLog(c); err != nil {
				return err
			}
			_, err := rootlessMode(c.String("rootless"))
			return err
		},
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, stateCommand, killCommand,
			deleteCommand, listCommand, specCommand, psCommand, pauseCommand, execCommand, updateCommand, eventsCommand,
			resumeCommand, featuresCommand, checkpointCommand, restoreCommand, initCommand,
		},
		// Unknown commands and flags are usage errors, with exit status 1 as
		// runc has.
		ExitErrHandler: func(*cli.Context, error) {},
		// A repeatable flag's value is one value, commas and all
		// (`exec -e A=x,y`, `--cgroup cpu,cpuacct:sub`), as with runc.
		DisableSliceFlagSeparator: true,
	}
}

// exitStatus makes main exit with code and print nothing.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// runtimeFailure is an error of berth's own that exits with code rather
// than 1 (exec: 255, apart from the process's own status).
type runtimeFailure struct {
	code int
	err  error
}

func (e *runtimeFailure) Error() string { return e.err.Error() }
func (e *runtimeFailure) Unwrap() error { return e.err }

func fatal(err error) { fatalCode(err, 1) }

func fatalCode(err error, code int) {
	// As runc: a record in the log for the caller that reads it
	// (containerd, Podman), and the plain message on stderr for a person.
	msg := strings.TrimSpace(err.Error())
	if logToFile {
		logError(msg)
	}
	fmt.Fprintln(os.Stderr, "berth: "+msg)
	os.Exit(code)
}
