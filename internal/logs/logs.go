// Package logs carries berth's debug records (--debug) from every stage of a
// container's start to the one log the caller reads (--log, --log-format):
// the runtime writes them itself; its init, the C stage, writes them as JSON
// lines to a pipe that the runtime forwards.
package logs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

var (
	// Debugging is --debug: without it Debugf costs a branch.
	Debugging bool
	sink      = func(level, msg string) {}
)

// SetSink sends every record to write (the runtime's log).
func SetSink(write func(level, msg string)) { sink = write }

// Debugf writes a debug record when --debug is on.
func Debugf(format string, args ...any) {
	if Debugging {
		sink("debug", fmt.Sprintf(format, args...))
	}
}

// record is one line on the pipe, in the runtime's JSON log format
// (nsenter/msg.c writes them).
type record struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
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
