package libcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/internal/logs"
)

// runHooks runs each hook in turn with the container state on stdin
// (runtime-spec config.md, "POSIX-platform Hooks"). It stops at the first
// failure, which it returns naming the hook kind and index.
func runHooks(kind string, hooks []specs.Hook, st *specs.State) error {
	if len(hooks) == 0 {
		return nil
	}
	stdin, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for i, h := range hooks {
		logs.Debugf("%s hook #%d: %s %q", kind, i, h.Path, h.Args)
		if err := runHook(h, stdin); err != nil {
			return hookFailed(kind, i, h, err)
		}
	}
	return nil
}

// hookFailed names a failed hook as runc does ("error running <kind> hook
// #<i>: ..."; clients and scripts match that prefix), then its path.
func hookFailed(kind string, i int, h specs.Hook, err error) error {
	return &HookError{Err: fmt.Errorf("error running %s hook #%d: %s: %w", kind, i, h.Path, err)}
}

// HookError is a failed hook. runtime.md "Lifecycle": a failing prestart,
// createRuntime, createContainer, startContainer or poststart hook stops
// the container and continues at step 12: destroy it, then run the
// poststop hooks.
type HookError struct{ Err error }

func (e *HookError) Error() string { return e.Err.Error() }
func (e *HookError) Unwrap() error { return e.Err }

// isHookFailure tells a hook failure, reported by the parent's hooks or by
// init's, from any other error.
func isHookFailure(err error) bool {
	var he *HookError
	var ie *initError
	return errors.As(err, &he) || (errors.As(err, &ie) && ie.Step == "hooks")
}

func runHook(h specs.Hook, stdin []byte) error {
	ctx := context.Background()
	if h.Timeout != nil && *h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	// args[0] is the hook's argv[0], which may differ from its path.
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	// Without an env of its own a hook inherits the runtime's environment,
	// as runc's do (and the hooks of tools written for runc expect); init
	// clears its own, so hooks it runs get none.
	cmd.Env = h.Env
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// A hook that forks a daemon holding our pipes must not hang us past
	// its timeout.
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
