package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// faultCommands are the commands whose own page faults step 5b counts, in
// the order a container goes through them.
var faultCommands = []string{"create", "state", "start", "delete", "exec"}

// 5b. Page faults of each command of a container's life, through
// bench/rusage.c (ru_minflt of the command and of the children it reaped):
// create, state, start, delete of a /bin/true container, and exec of
// /bin/true into a running sleeper. For berth these are mostly the
// runtime's own start (the Go runtime, package inits, decoding config.json
// or state.json), which `run`'s figure mixes with the container's.
// create's figure leaves out the container's init (not reaped by create).
func (b *bench) measureCommandFaults() {
	b.res.cmdFaults = map[string]map[string][]float64{}
	sleepers := map[*runtime]string{}
	defer func() {
		for r, id := range sleepers {
			b.forceDelete(r, id)
		}
	}()
	for _, r := range b.rotated(0, true) {
		id := b.newID(r)
		r.track(id, true)
		if res := b.exec(b.ctx, r, 0, r.argv("run", "--detach", "--bundle", b.sleeper, id)...); res.err != nil {
			b.fail(r, "run --detach sleep", res.err)
			b.forceDelete(r, id)
			continue
		}
		sleepers[r] = id
	}
	for i := 0; i < b.cfg.MemSamples && !b.stopped(); i++ {
		for _, r := range b.rotated(i, true) {
			b.commandFaults(r, sleepers[r])
		}
	}
}

// faultsOf runs argv under rusage and returns its minor faults.
func (b *bench) faultsOf(r *runtime, what string, argv []string) (float64, bool) {
	var out bytes.Buffer
	res := b.execTo(b.ctx, r, 0, &out, append([]string{b.rusage}, argv...)...)
	var rss, faults float64
	_, err := fmt.Sscan(out.String(), &rss, &faults)
	if res.err != nil || err != nil {
		if !b.stopped() {
			b.fail(r, what+" under rusage", fmt.Errorf("%w %w", res.err, err))
		}
		return 0, false
	}
	return faults, true
}

func (b *bench) commandFaults(r *runtime, sleeper string) {
	add := func(cmd string, v float64) {
		if b.res.cmdFaults[cmd] == nil {
			b.res.cmdFaults[cmd] = map[string][]float64{}
		}
		b.res.cmdFaults[cmd][r.name] = append(b.res.cmdFaults[cmd][r.name], v)
	}
	id := b.newID(r)
	pidFile := filepath.Join(b.tmp, id+".pid")
	r.track(id, true)
	f, ok := b.faultsOf(r, "create", r.argv("create", "--bundle", b.bundle, "--pid-file", pidFile, id))
	pid, err := readPid(pidFile)
	_ = os.Remove(pidFile)
	if !ok || err != nil {
		if ok {
			b.fail(r, "create", err)
		}
		b.forceDelete(r, id)
		return
	}
	add("create", f)
	steps := []struct {
		cmd  string
		wait bool // for the container's exit after it
	}{{"state", false}, {"start", true}, {"delete", false}}
	for _, s := range steps {
		f, ok := b.faultsOf(r, s.cmd, r.argv(s.cmd, id))
		if !ok {
			b.forceDelete(r, id)
			return
		}
		add(s.cmd, f)
		if s.wait {
			if err := waitExit(pid, 10*time.Second); err != nil {
				b.fail(r, "wait for exit", err)
				b.forceDelete(r, id)
				return
			}
		}
	}
	r.track(id, false)
	if sleeper != "" {
		if f, ok := b.faultsOf(r, "exec", r.argv("exec", sleeper, "/bin/true")); ok {
			add("exec", f)
		}
	}
}
