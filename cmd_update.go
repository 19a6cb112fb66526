package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/specconv"
)

// updateCommand has runc's flags. With --resources the JSON (a
// LinuxResources) is the whole update and the value flags are ignored, as
// runc does; otherwise only the flags given change anything.
var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "change the resource limits of a running container",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "JSON file of linux.resources to apply, - for stdin"},
		&cli.StringFlag{Name: "blkio-weight", Usage: "block IO weight (10-1000)"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CFS period (µs)"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CFS quota (µs) per period"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CFS burst (µs)"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "realtime period (µs)"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "realtime runtime (µs) per period"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpu-idle", Usage: "SCHED_IDLE for the cgroup (0 or 1)"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to use (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or 512m, 1g; -1 unlimited)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory+swap limit (-1 unlimited)"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "kernel memory limit (obsolete; where the kernel has it)"},
		&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "kernel TCP buffer limit (obsolete; where the kernel has it)"},
		&cli.StringFlag{Name: "pids-limit", Usage: "maximum number of processes (-1 unlimited)"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT/CAT L3 cache schema (L3:<id>=<mask>;...)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT/MBA memory bandwidth schema (MB:<id>=<bw>;...)"},
	},
	Action: func(c *cli.Context) error {
		ct, err := loadContainer(c)
		if err != nil {
			return err
		}
		r, err := updateResources(c)
		if err != nil {
			return err
		}
		l3, mb := c.String("l3-cache-schema"), c.String("mem-bw-schema")
		if l3 == "" && mb == "" {
			return ct.Update(r)
		}
		if err := specconv.CheckL3CacheSchema(l3); l3 != "" && err != nil {
			return fmt.Errorf("--l3-cache-schema: %w", err)
		}
		if err := specconv.CheckMemBwSchema(mb); mb != "" && err != nil {
			return fmt.Errorf("--mem-bw-schema: %w", err)
		}
		// As runc: the cgroup limits first (when any are given), then
		// the resctrl schemata.
		if b, _ := json.Marshal(r); string(b) != "{}" {
			if err := ct.Update(r); err != nil {
				return err
			}
		}
		return ct.UpdateIntelRdt(l3, mb)
	},
}

func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	if p := c.String("resources"); p != "" {
		return readResources(p)
	}
	r := &specs.LinuxResources{}
	var errs []error
	i64 := func(flag string, size bool) *int64 {
		if !c.IsSet(flag) {
			return nil
		}
		var v int64
		var err error
		if size {
			v, err = parseSize(c.String(flag))
		} else {
			v, err = strconv.ParseInt(c.String(flag), 10, 64)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: %w", flag, c.String(flag), err))
			return nil
		}
		return &v
	}
	u64 := func(flag string) *uint64 {
		if !c.IsSet(flag) {
			return nil
		}
		v, err := strconv.ParseUint(c.String(flag), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: %w", flag, c.String(flag), err))
			return nil
		}
		return &v
	}
	mem := &specs.LinuxMemory{
		Limit: i64("memory", true), Reservation: i64("memory-reservation", true), Swap: i64("memory-swap", true),
		Kernel: i64("kernel-memory", true), KernelTCP: i64("kernel-memory-tcp", true),
	}
	cpu := &specs.LinuxCPU{
		Shares: u64("cpu-share"), Quota: i64("cpu-quota", false), Period: u64("cpu-period"), Burst: u64("cpu-burst"),
		RealtimeRuntime: i64("cpu-rt-runtime", false), RealtimePeriod: u64("cpu-rt-period"), Idle: i64("cpu-idle", false),
		Cpus: c.String("cpuset-cpus"), Mems: c.String("cpuset-mems"),
	}
	if pl := i64("pids-limit", false); pl != nil {
		r.Pids = &specs.LinuxPids{Limit: pl}
	}
	if w := u64("blkio-weight"); w != nil {
		if *w > 0xffff {
			errs = append(errs, fmt.Errorf("--blkio-weight %d: out of range", *w))
		} else {
			v := uint16(*w)
			r.BlockIO = &specs.LinuxBlockIO{Weight: &v}
		}
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	if (*cpu != specs.LinuxCPU{}) {
		r.CPU = cpu
	}
	return r, nil
}

// readResources reads a LinuxResources JSON file ("-" is stdin), refusing
// unknown fields so a typo is an error rather than a silent no-op.
func readResources(path string) (*specs.LinuxResources, error) {
	var rd io.Reader = os.Stdin
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		defer func() { _ = f.Close() }()
		rd, name = f, path
	}
	dec := json.NewDecoder(io.LimitReader(rd, 16<<20))
	dec.DisallowUnknownFields()
	r := &specs.LinuxResources{}
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("--resources %s: %w", name, err)
	}
	return r, nil
}

// parseSize reads a byte count with an optional binary unit: 512, 64k,
// 512m, 1g (case-insensitive, an optional trailing b), as Docker's and
// runc's size flags do; -1 means unlimited.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "-1" {
		return -1, nil
	}
	t = strings.TrimSuffix(t, "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("not a size such as 1048576, 512m or 1g")
	}
	if v > (1<<63-1)/mult {
		return 0, fmt.Errorf("too large")
	}
	return v * mult, nil
}
