package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/internal/logs"
	"golang.org/x/sys/unix"
)

// The log: --log FILE (default stderr) and --log-format text|json. In json
// each record is one line {"level":...,"msg":...,"time":...}; containerd
// reads the last "error" record as the failure's reason.
var (
	logFile   = os.Stderr
	logJSON   bool
	logToFile bool
)

func setupLog(c *cli.Context) error {
	switch f := c.String("log-format"); f {
	case "text":
	case "json":
		logJSON = true
	default:
		return fmt.Errorf("--log-format %q: must be text or json", f)
	}
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("--log %s: %w", p, err)
		}
		logFile, logToFile = f, true
	}
	logs.Debugging = c.Bool("debug")
	logs.SetSink(logRecord)
	logs.Debugf("berth %s (commit %s): %s", version, commit, strings.Join(os.Args[1:], " "))
	return nil
}

func logRecord(level, msg string) {
	now := time.Now()
	if logJSON {
		b, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, now.Format(time.RFC3339Nano)})
		_, _ = logFile.Write(append(b, '\n'))
		return
	}
	_, _ = fmt.Fprintf(logFile, "time=%q level=%s msg=%q\n", now.Format(time.RFC3339Nano), level, msg)
}

func logError(msg string) { logRecord("error", msg) }
func logWarn(msg string)  { logRecord("warning", msg) }
