// Package logs carries berth's debug records (--debug) from every stage of a
// container's start to the one log the caller reads (--log, --log-format):
// the runtime writes them itself; its init, and the C stage before the Go
// runtime, write them as JSON lines to a pipe that the runtime forwards.
package logs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// EnvPipe names the variable holding the fd of init's end of the log pipe;
// set only when the runtime runs with --debug.
const EnvPipe = "_BERTH_LOGPIPE"

var (
	// Debugging is --debug: without it Debugf costs a branch.
	Debugging bool
	sink      = func(level, msg string) {}
	pipe      *os.File
)

// SetSink sends every record to write (the runtime's log).
func SetSink(write func(level, msg string)) { sink = write }

// Debugf writes a debug record when --debug is on.
func Debugf(format string, args ...any) {
	if Debugging {
		sink("debug", fmt.Sprintf(format, args...))
	}
}

// record is one line on the pipe, in the runtime's JSON log format.
type record struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// ToPipe is init's side: records go as JSON lines to the inherited fd
// named by EnvPipe, if the runtime passed one. The fd is made close-on-exec
// at once, so that neither a hook init runs nor the user's process gets it.
func ToPipe() {
	fd, err := fdFromEnv()
	if err != nil {
		return
	}
	unix.CloseOnExec(fd)
	pipe = os.NewFile(uintptr(fd), "log")
	Debugging = true
	sink = func(level, msg string) {
		b, _ := json.Marshal(record{Level: level, Msg: msg})
		_, _ = pipe.Write(append(b, '\n'))
	}
}

func fdFromEnv() (int, error) {
	v := os.Getenv(EnvPipe)
	if v == "" {
		return -1, os.ErrNotExist
	}
	var fd int
	if _, err := fmt.Sscanf(v, "%d", &fd); err != nil || fd < 3 {
		return -1, fmt.Errorf("%s=%q: not an fd", EnvPipe, v)
	}
	return fd, nil
}

// ClosePipe ends init's records: the runtime stops waiting for more. Init
// calls it once it has reported ready (its parent may be gone after that).
func ClosePipe() {
	if pipe != nil {
		_ = pipe.Close()
		pipe = nil
		Debugging = false
	}
}

// Forward copies the records read from r to the sink until r ends; the
// returned wait function waits for that, at most timeout (a process that
// inherited the pipe by mistake must not hold the runtime up).
func Forward(r io.ReadCloser) (wait func(timeout time.Duration)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = r.Close() }()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			var rec record
			line := sc.Bytes()
			if err := json.Unmarshal(line, &rec); err != nil || rec.Level == "" {
				rec = record{Level: "debug", Msg: strings.TrimSpace(string(line))}
			}
			sink(rec.Level, rec.Msg)
		}
	}()
	return func(timeout time.Duration) {
		select {
		case <-done:
		case <-time.After(timeout):
		}
	}
}
