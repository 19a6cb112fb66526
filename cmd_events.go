package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/cgroups/stats"
	"github.com/berth-runtime/berth/libcontainer"
)

// eventsCommand prints JSON lines as runc's events does: with --stats one
// stats event; otherwise a stats event every --interval and an "oom" event
// whenever the kernel's OOM killer kills in the container, until the
// container stops.
var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print the container's resource usage and OOM events as JSON lines",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats events"},
		&cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		if st := ct.Status(); st == libcontainer.Stopped {
			return fmt.Errorf("%s is stopped", ct.ID)
		}
		enc := json.NewEncoder(os.Stdout)
		emitStats := func() error {
			s, err := ct.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(stats.Event{Type: "stats", ID: ct.ID, Data: s})
		}
		if c.Bool("stats") {
			return emitStats()
		}
		interval := c.Duration("interval")
		if interval <= 0 {
			return fmt.Errorf("--interval %s: must be positive", interval)
		}
		return followEvents(ct, interval, emitStats, func() error {
			return enc.Encode(stats.Event{Type: "oom", ID: ct.ID})
		})
	},
}

// followEvents polls the OOM-kill counter often (a kill is reported within
// oomPoll) and emits stats each interval, until the container stops.
func followEvents(ct *libcontainer.Container, interval time.Duration, emitStats, emitOOM func() error) error {
	const oomPoll = 100 * time.Millisecond
	kills, _ := ct.OOMKills()
	next := time.Now()
	for {
		if n, err := ct.OOMKills(); err == nil && n > kills {
			for ; kills < n; kills++ {
				if err := emitOOM(); err != nil {
					return err
				}
			}
		}
		if ct.Status() == libcontainer.Stopped {
			return nil
		}
		if !time.Now().Before(next) {
			if err := emitStats(); err != nil {
				return err
			}
			next = time.Now().Add(interval)
		}
		time.Sleep(min(oomPoll, time.Until(next)))
	}
}
