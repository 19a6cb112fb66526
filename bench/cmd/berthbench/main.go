// Command berthbench measures berth side by side with runc, crun and the
// floor program (bench/floor.c) on one busybox bundle, interleaving the
// runtimes so that machine drift hits all of them alike, and writes a
// markdown table with ratios (bench/results/latest.md) and the raw latency
// samples (bench/results/samples.csv, which bench/plot.py turns into the
// plot). See bench/README.md; bench/run.sh is the usual way to run it.
//
// It must run as root. It re-executes itself in a private mount namespace
// (unshare -m, private propagation) and there, only there, hides the host's
// cgroup2 mount at /sys/fs/cgroup/unified (crun refuses a hybrid host whose
// cgroup2 has controllers) and mounts a tmpfs over its work directory (the
// runtimes' --root dirs and the bundle, as /run is on a real node). The
// host's mounts are never touched.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const nsEnv = "BERTHBENCH_PRIVATE_NS"

type config struct {
	N, Warmup           int
	TPSeconds           float64
	TPWorkers, TPRounds int
	MemSamples          int
	MemConfirm          int
	MemMax, MemStep     int64
	Out, Repo           string
	FloorSrc, Mkrootfs  string
	Runtimes            []string
	Bins                map[string]string
	Command             string
	TrialTimeout        time.Duration
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fatalf("%s=%q: not a non-negative integer", name, v)
		}
		return n
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			fatalf("%s=%q: not a non-negative number", name, v)
		}
		return f
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "berthbench: "+format+"\n", a...)
	os.Exit(1)
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

func loadConfig() *config {
	repo := envStr("REPO", ".")
	repo, _ = filepath.Abs(repo)
	c := &config{
		N:            envInt("N", 100),
		Warmup:       envInt("WARMUP", 3),
		TPSeconds:    envFloat("TP_SECONDS", 10),
		TPWorkers:    envInt("TP_WORKERS", 8),
		TPRounds:     envInt("TP_ROUNDS", 5),
		MemSamples:   envInt("MEM_SAMPLES", 10),
		MemConfirm:   envInt("MEM_CONFIRM", 3),
		MemMax:       int64(envInt("MEM_MAX_KIB", 128*1024)) << 10,
		MemStep:      int64(envInt("MEM_STEP_KIB", 64)) << 10,
		Repo:         repo,
		Out:          envStr("OUT", filepath.Join(repo, "bench/results")),
		FloorSrc:     envStr("FLOOR_SRC", filepath.Join(repo, "bench/floor.c")),
		Mkrootfs:     envStr("MKROOTFS", filepath.Join(repo, "scripts/mkrootfs.sh")),
		Runtimes:     strings.Split(envStr("RUNTIMES", "berth,runc,crun,floor"), ","),
		Command:      envStr("BENCH_COMMAND", strings.Join(os.Args, " ")),
		TrialTimeout: 20 * time.Second,
		Bins: map[string]string{
			"berth": envStr("BERTH", filepath.Join(repo, "berth")),
			"runc":  envStr("RUNC", "runc"),
			"crun":  envStr("CRUN", "crun"),
		},
	}
	if c.N < 1 || c.TPWorkers < 1 || c.TPRounds < 1 || c.MemConfirm < 1 || c.MemStep < 4096 {
		fatalf("N, TP_WORKERS, TP_ROUNDS, MEM_CONFIRM must be >= 1 and MEM_STEP_KIB >= 4")
	}
	return c
}

func main() {
	if os.Geteuid() != 0 {
		fatalf("must run as root (it creates containers and cgroups)")
	}
	cfg := loadConfig()
	if os.Getenv(nsEnv) == "" {
		os.Exit(reexecInPrivateNS())
	}
	os.Exit(benchMain(cfg))
}

// reexecInPrivateNS runs this program again under `unshare -m` with private
// propagation, forwards SIGINT/SIGTERM to it, and returns its exit code.
func reexecInPrivateNS() int {
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), nsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fatalf("unshare: %v", err)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		return 1
	}
	return 0
}

// setupNamespace checks that this process really is in a mount namespace
// of its own, and there hides the cgroup2 mount of a hybrid host. It
// returns the host's cgroup mode and the mode the runtimes see.
func setupNamespace() (hostMode, benchMode string, err error) {
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	parent, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
	if err1 != nil || err2 != nil {
		return "", "", fmt.Errorf("cannot read mount namespaces: %w %w", err1, err2)
	}
	if self == parent {
		return "", "", fmt.Errorf("not in a private mount namespace (%s); refusing to change mounts", self)
	}
	// unshare --propagation private did this already; again, to be sure no
	// unmount below can reach the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", "", fmt.Errorf("make / private: %w", err)
	}
	hostMode = cgroupMode()
	if strings.HasPrefix(hostMode, "hybrid") && os.Getenv("KEEP_UNIFIED") == "" {
		if err := unix.Unmount("/sys/fs/cgroup/unified", 0); err != nil {
			return "", "", fmt.Errorf("unmount /sys/fs/cgroup/unified in the private namespace: %w", err)
		}
	}
	return hostMode, cgroupMode(), nil
}

func cgroupMode() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	switch st.Type {
	case unix.CGROUP2_SUPER_MAGIC:
		return "v2 (unified)"
	case unix.TMPFS_MAGIC:
		var u unix.Statfs_t
		if unix.Statfs("/sys/fs/cgroup/unified", &u) == nil && u.Type == unix.CGROUP2_SUPER_MAGIC {
			ctl, _ := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
			c := strings.TrimSpace(string(ctl))
			if c == "" {
				c = "none"
			}
			return "hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified, its controllers: " + c + ")"
		}
		return "v1 (legacy)"
	}
	return fmt.Sprintf("unknown (fs type %#x)", st.Type)
}

func benchMain(cfg *config) int {
	hostMode, benchMode, err := setupNamespace()
	if err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &bench{cfg: cfg, ctx: ctx, hostMode: hostMode, benchMode: benchMode, pid: os.Getpid()}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		logf("%v: stopping; removing containers and cgroups", s)
		b.interrupted.Store(true)
		cancel()
		// Later signals are caught and dropped so the clean-up can finish.
	}()
	defer b.cleanup()
	if err := b.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		return 1
	}
	if err := b.measure(); err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		return 1
	}
	if b.interrupted.Load() {
		return 130
	}
	if err := b.report(); err != nil {
		fmt.Fprintln(os.Stderr, "berthbench:", err)
		return 1
	}
	return 0
}
