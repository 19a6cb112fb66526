package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/proc"
)

// Start releases a created container's init: opening exec.fifo for reading
// unblocks its open for writing, and it execs the user's process. Then the
// poststart hooks run.
func (c *Container) Start() error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	switch st := c.Status(); st {
	case Created:
	case Stopped:
		return fmt.Errorf("%s: cannot start a stopped container", c.ID)
	default:
		return fmt.Errorf("%s: cannot start a container that is %s", c.ID, st)
	}
	fifo := filepath.Join(c.Dir, fifoName)
	if err := c.openFifo(fifo); err != nil {
		if isHookFailure(err) {
			return c.destroyAfterHook(err)
		}
		return err
	}
	logs.Debugf("start: init %d released through exec.fifo; it has executed the process", c.State.Pid)
	c.State.Status = Running
	if err := saveState(c.Dir, c.State); err != nil {
		return err
	}
	if h := c.State.Config.Hooks; h != nil && len(h.Poststart) > 0 {
		// Step 9 follows the execve: the state is "running" even if a
		// quick process has already exited by now.
		st := c.SpecState()
		st.Status, st.Pid = specs.StateRunning, c.State.Pid
		if err := runHooks("poststart", h.Poststart, st); err != nil {
			return c.destroyAfterHook(err)
		}
	}
	return nil
}

// What init writes to exec.fifo for start: fifoOK once it goes on to
// execve; fifoHookFailed or fifoFailed and the error instead (or after).
// The C stage's init writes fifoErrno, the errno and a space before its
// message, for start to word the errno as Go does (the stage's C library
// words it otherwise).
const (
	fifoOK         = "0"
	fifoHookFailed = "h"
	fifoFailed     = "e"
	fifoErrno      = "n"
)

// fifoError is the text of a failure init wrote to the fifo after fifoOK.
func fifoError(msg string) string {
	if rest, ok := strings.CutPrefix(msg, fifoErrno); ok {
		num, text, _ := strings.Cut(rest, " ")
		if n, err := strconv.Atoi(num); err == nil && n > 0 {
			return text + ": " + unix.Errno(n).Error()
		}
		return rest
	}
	return strings.TrimPrefix(msg, fifoFailed)
}

// destroyAfterHook handles a failed startContainer or poststart hook as
// runtime.md's lifecycle says: stop the container, destroy it, run the
// poststop hooks (step 12 on), and report the hook's error.
func (c *Container) destroyAfterHook(err error) error {
	if derr := c.Destroy(true); derr != nil {
		return errors.Join(err, derr)
	}
	return err
}

// openFifo opens the fifo for reading and reads init's byte. The open
// blocks until init opens the other end; if init has died meanwhile it
// never would, so init's liveness is watched alongside.
func (c *Container) openFifo(path string) error {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
		ch <- result{f, err}
	}()
	handle := func(r result) error {
		if r.err != nil {
			return fmt.Errorf("open %s: %w", path, r.err)
		}
		defer func() { _ = r.f.Close() }()
		// The open has released init, which goes on to execve: remove
		// the fifo at once, so that the status reads "running" from now
		// on even if this start is killed before it is done. (Reading
		// first would leave a window where a killed start shows a
		// running container as "created", and a second start waits on
		// a fifo nobody opens.)
		rmErr := os.Remove(path)
		b, err := io.ReadAll(r.f)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		// Read to EOF: init's fifo closes on a successful execve.
		msg := strings.TrimPrefix(string(b), fifoOK)
		switch {
		case msg == "" && len(b) > 0 && rmErr != nil:
			return fmt.Errorf("%s: the process runs, but its status will read created: %w", c.ID, rmErr)
		case msg == "" && len(b) > 0:
			return nil
		case msg == "":
			return fmt.Errorf("%s: container init exited before start", c.ID)
		case strings.HasPrefix(msg, fifoHookFailed):
			return &HookError{Err: errors.New(msg[1:])}
		default:
			return fmt.Errorf("%s: %s", c.ID, fifoError(msg))
		}
	}
	for {
		select {
		case r := <-ch:
			return handle(r)
		case <-time.After(10 * time.Millisecond):
			if proc.Alive(c.State.Pid, c.State.StartTime) {
				continue
			}
			// Gone: either it opened the fifo and a quick process has
			// already run and exited (the open has returned, or is about
			// to), or it died waiting and the open never will.
			select {
			case r := <-ch:
				return handle(r)
			case <-time.After(100 * time.Millisecond):
				return fmt.Errorf("%s: container init exited before start", c.ID)
			}
		}
	}
}
