package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// A phase is one berth command whose system calls are failed, case by case.
type phase struct {
	name string
	// prepare makes what the command needs (a created or running container).
	prepare func(e *env, id string) error
	args    func(id string) []string
	// attach: trace the container's init (strace -p) while an untraced berth
	// runs the command, instead of tracing the command.
	attach bool
	// judge checks a case whose command failed (ok: it did not): the error and
	// what is left. It runs before the container is deleted.
	failed func(e *env, id string, r *result, afterPrepare []string) error
	ok     func(e *env, id string, r *result) error
}

var phases = []*phase{
	{
		name: "create",
		args: func(id string) []string {
			return []string{"create", "--bundle", bundleDir, "--pid-file", pidFile(id), id}
		},
		failed: func(e *env, id string, r *result, base []string) error {
			if _, err := os.Stat(pidFile(id)); err == nil {
				return fmt.Errorf("failed create wrote the pid file")
			}
			if r.crash() || r.leftSaid() {
				// A crash leaves what kill -9 leaves; a create that could not clean up
				// after itself says so. delete --force removes the rest.
				return nil
			}
			// A failed create cleans up after itself: nothing left before any delete.
			if d := e.leakCheck(base); len(d) > 0 {
				return fmt.Errorf("failed create left: %s", strings.Join(d, "; "))
			}
			return nil
		},
		ok: func(e *env, id string, r *result) error {
			st := status(e, id)
			if st == "stopped" && execFifoOpenFailed(r) {
				// init opens the exec fifo for writing, which blocks until start
				// reads it, so it does so after create has returned (as runc
				// does): its failure leaves init gone and the container stopped,
				// which start then reports.
				return nil
			}
			if st != "created" {
				return fmt.Errorf("create succeeded, status %q", st)
			}
			return startsAndRuns(e, id)
		},
	},
	{
		name:    "start",
		prepare: createContainer,
		args:    func(id string) []string { return []string{"start", id} },
		failed: func(e *env, id string, r *result, _ []string) error {
			return nil // what is left is for delete --force to remove
		},
		ok: func(e *env, id string, r *result) error {
			if !waitLine(e.file(id+".create.out"), "ran", 10*time.Second) {
				return fmt.Errorf("start succeeded, the process did not run")
			}
			return nil
		},
	},
	{
		name:    "start-init",
		prepare: createContainer,
		args:    func(id string) []string { return []string{"start", id} },
		attach:  true,
		failed: func(e *env, id string, r *result, _ []string) error {
			if st := status(e, id); st != "stopped" {
				return fmt.Errorf("start failed, status %q", st)
			}
			return nil
		},
		ok: func(e *env, id string, r *result) error {
			if !waitLine(e.file(id+".create.out"), "ran", 10*time.Second) {
				return fmt.Errorf("start succeeded, the process did not run")
			}
			return nil
		},
	},
	{
		name:    "exec",
		prepare: runContainer,
		args:    func(id string) []string { return []string{"exec", id, "sh", "-c", "echo exec-ok"} },
		failed: func(e *env, id string, r *result, afterPrepare []string) error {
			// The container is unharmed, and nothing of the exec is left in it or
			// on the host.
			if st := status(e, id); st != "running" {
				return fmt.Errorf("failed exec, container %q", st)
			}
			if r.leftSaid() {
				return nil
			}
			if d := e.leakCheck(afterPrepare); len(d) > 0 {
				return fmt.Errorf("failed exec left: %s", strings.Join(d, "; "))
			}
			return nil
		},
		ok: func(e *env, id string, r *result) error {
			if r.stdout != "exec-ok\n" {
				return fmt.Errorf("exec succeeded, output %q", r.stdout)
			}
			return nil
		},
	},
	{
		name:    "delete",
		prepare: runContainer,
		args:    func(id string) []string { return []string{"delete", "--force", id} },
		failed: func(e *env, id string, r *result, _ []string) error {
			// A retry succeeds (and the case's leak check follows it).
			if _, err := e.berth(e.file(id+".retry"), "delete", "--force", id); err != nil {
				return fmt.Errorf("delete failed, and so did a retry: %w", err)
			}
			return nil
		},
		ok: func(e *env, id string, r *result) error {
			if st := status(e, id); st != "" {
				return fmt.Errorf("delete succeeded, the container is still %q", st)
			}
			return nil
		},
	},
}

var bundleDir string

func pidFile(id string) string { return bundleDir + "/../" + id + ".pid" }

func createContainer(e *env, id string) error {
	_, err := e.berth(e.file(id+".create"), "create", "--bundle", bundleDir, id)
	return err
}

func runContainer(e *env, id string) error {
	_, err := e.berth(e.file(id+".create"), "run", "-d", "--bundle", bundleDir, id)
	return err
}

// status is the container's status, "" if it does not exist.
func status(e *env, id string) string {
	if _, err := e.berth(e.file(id+".state"), "state", id); err != nil {
		return ""
	}
	var st struct{ Status string }
	_ = json.Unmarshal([]byte(readFile(e.file(id+".state.out"))), &st)
	return st.Status
}

// startsAndRuns: a created container starts and its process runs.
func startsAndRuns(e *env, id string) error {
	if _, err := e.berth(e.file(id+".start"), "start", id); err != nil {
		return err
	}
	if !waitLine(e.file(id+".out"), "ran", 10*time.Second) {
		return fmt.Errorf("started, the process did not run")
	}
	return nil
}

// leftSaid: berth failed, and failed to clean up after itself too, and said so.
func (r *result) leftSaid() bool {
	return strings.Contains(r.stderr, "cleaning up failed too")
}

// crash: the Go runtime gave up (it cannot run without the thread it failed to make);
// that is a crash, like kill -9, after which delete --force cleans up.
func (r *result) crash() bool {
	return strings.Contains(r.stderr, "fatal error: ") || strings.Contains(r.stderr, "runtime: failed to create new OS thread")
}

// execFifoOpenFailed: the fault hit init's open of the exec fifo (a reopen
// of its O_PATH fd, for writing; init's message about it may come after
// create has exited, so it is not waited for).
func execFifoOpenFailed(r *result) bool {
	for _, c := range r.injected {
		if execFifoOpen.MatchString(c) {
			return true
		}
	}
	return false
}

// execFifoOpen is init's reopen of exec.fifo for writing: through its fd
// directory in the stage's procfs handle (nsenter/procfs.c, proc_reopen).
var execFifoOpen = regexp.MustCompile(`^openat\(#</#/fd>, "#", O_WRONLY\|O_CLOEXEC\)`)
