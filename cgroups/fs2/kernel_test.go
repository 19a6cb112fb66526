package fs2

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/cgroups/stats"
)

// The TestKernel* tests run against a real cgroup2 hierarchy: they create
// cgroups below $BERTH_CGROUP2 (a cgroup2 directory, such as /sys/fs/cgroup
// in the VM of tests/cgroupv2/run.sh), apply rendered values, run processes
// in them and read back what the kernel did. They need root; without the
// variable they are skipped, so `go test ./...` on a host never touches its
// cgroups. Each test's cgroups are named berth-fs2-PID-TEST and removed at
// its end.

func kernelRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("BERTH_CGROUP2")
	if root == "" {
		t.Skip("BERTH_CGROUP2 is not set to a cgroup2 directory to test in (tests/cgroupv2/run.sh sets it in a VM)")
	}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Fatalf("BERTH_CGROUP2=%s is not a cgroup2 directory (%v)", root, err)
	}
	if os.Geteuid() != 0 {
		t.Fatal("BERTH_CGROUP2 is set but the test does not run as root")
	}
	return root
}

// mountOf is the cgroup2 mount point root lies in.
func mountOf(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	best := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i := slices.Index(f, "-"); i > 4 && i+1 < len(f) && f[i+1] == "cgroup2" {
			if mp := f[4]; (root == mp || strings.HasPrefix(root, mp+"/")) && len(mp) > len(best) {
				best = mp
			}
		}
	}
	if best == "" {
		t.Fatalf("no cgroup2 mount holds %s", root)
	}
	return best
}

// testCgroup makes root/berth-fs2-PID-TEST/c with ctrls enabled for it
// (the test is skipped when root does not offer them), and removes both
// at the end, killing what still runs there.
func testCgroup(t *testing.T, ctrls ...string) string {
	t.Helper()
	root := kernelRoot(t)
	have, err := cgfile.ReadString(root, "cgroup.controllers")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ctrls {
		if !slices.Contains(strings.Fields(have), c) {
			t.Skipf("%s has no %s controller (cgroup.controllers: %q)", root, c, have)
		}
	}
	parent := filepath.Join(root, fmt.Sprintf("berth-fs2-%d-%s", os.Getpid(), t.Name()))
	dir := filepath.Join(parent, "c")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range []string{dir, parent} {
			if err := removeCgroup(d); err != nil {
				t.Errorf("remove %s: %v", d, err)
			}
		}
	})
	if err := EnableControllers(mountOf(t, root), dir, ctrls); err != nil {
		t.Fatal(err)
	}
	return dir
}

func removeCgroup(dir string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs, err := cgfile.ReadString(dir, "cgroup.procs")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		for _, p := range strings.Fields(procs) {
			var pid int
			_, _ = fmt.Sscan(p, &pid)
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startIn starts a command directly in the cgroup dir (CLONE_INTO_CGROUP).
func startIn(t *testing.T, dir string, name string, args ...string) (*exec.Cmd, *bytes.Buffer, error) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	return cmd, &out, cmd.Start()
}

// runIn runs a shell script in the cgroup dir; it returns its output and
// whether it exited 0.
func runIn(t *testing.T, dir, script string) (string, bool) {
	t.Helper()
	cmd, out, err := startIn(t, dir, "sh", "-c", script)
	if err != nil {
		t.Fatalf("start sh in %s: %v", dir, err)
	}
	err = cmd.Wait()
	return strings.TrimSpace(out.String()), err == nil
}

func apply(t *testing.T, dir string, r *specs.LinuxResources) {
	t.Helper()
	for _, c := range append(Needed(r), "unified") {
		ws, err := Render(c, r)
		if c == "io" {
			ws, err = RenderIO(ProbeIO(dir), r)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := cgfile.Apply(dir, ws); err != nil {
			t.Fatal(err)
		}
	}
}

func expectFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for file, v := range want {
		got, err := cgfile.ReadString(dir, file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
		} else if got != v {
			t.Errorf("%s = %q, want %q", file, got, v)
		}
	}
}

// blockDevice is the MAJ:MIN of some block device of the machine, "" if
// none (the VM's run.sh loads the loop module to have some).
func blockDevice() string {
	for _, p := range []string{"/sys/block/loop0/dev", "/sys/block/vda/dev", "/sys/block/sda/dev"} {
		if b, err := os.ReadFile(p); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

func TestKernelResources(t *testing.T) {
	dir := testCgroup(t, "cpuset", "cpu", "io", "memory", "hugetlb", "pids")
	r := &specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(200000), Burst: u64(1000), Cpus: "0", Mems: "0"},
		Memory:  &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(96 << 20), Reservation: i64(16 << 20), Swappiness: u64(30)},
		Pids:    &specs.LinuxPids{Limit: i64(32)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(500)},
		// A page multiple: memory.high is kept in pages.
		Unified: map[string]string{"memory.high": "50003968"},
	}
	want := map[string]string{
		"cpu.weight": "39", "cpu.max": "50000 200000", "cpu.max.burst": "1000",
		"cpuset.cpus": "0", "cpuset.mems": "0",
		"memory.max": "67108864", "memory.swap.max": "33554432", "memory.low": "16777216", "memory.high": "50003968",
		"pids.max": "32",
	}
	if ProbeIO(dir).BFQ {
		want["io.bfq.weight"] = "default 500"
	} else {
		want["io.weight"] = "default 4950"
	}
	if dev := blockDevice(); dev != "" {
		var maj, mnr int64
		_, _ = fmt.Sscanf(dev, "%d:%d", &maj, &mnr)
		d := specs.LinuxBlockIODevice{Major: maj, Minor: mnr}
		r.BlockIO.ThrottleReadBpsDevice = []specs.LinuxThrottleDevice{{LinuxBlockIODevice: d, Rate: 1 << 20}}
		r.BlockIO.ThrottleWriteIOPSDevice = []specs.LinuxThrottleDevice{{LinuxBlockIODevice: d, Rate: 100}}
		want["io.max"] = dev + " rbps=1048576 wbps=max riops=max wiops=100"
	} else {
		t.Log("no block device: io.max not tested")
	}
	if cgfile.Exists(dir, "hugetlb.2MB.max") {
		r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}
		want["hugetlb.2MB.max"] = "4194304"
		if cgfile.Exists(dir, "hugetlb.2MB.rsvd.max") {
			want["hugetlb.2MB.rsvd.max"] = "4194304"
		}
	} else {
		t.Log("no 2MB huge pages: hugetlb not tested")
	}
	apply(t, dir, r)
	expectFiles(t, dir, want)

	// An update of the quota alone keeps the period; idle replaces weight.
	apply(t, dir, &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000)}})
	expectFiles(t, dir, map[string]string{"cpu.max": "20000 200000"})
	if cgfile.Exists(dir, "cpu.idle") {
		apply(t, dir, &specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: i64(1), Shares: u64(4096)}})
		expectFiles(t, dir, map[string]string{"cpu.idle": "1"})
	}
	// Unlimited again.
	apply(t, dir, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}, Pids: &specs.LinuxPids{Limit: i64(-1)}})
	expectFiles(t, dir, map[string]string{"memory.max": "max", "memory.swap.max": "max", "pids.max": "max"})

	// A value the kernel refuses names the field.
	ws, _ := Render("cpuset", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "4096"}})
	if err := cgfile.Apply(dir, ws); err == nil || !strings.Contains(err.Error(), "linux.resources.cpu.cpus") {
		t.Errorf("cpus 4096: %v", err)
	}
}

func TestKernelStats(t *testing.T) {
	dir := testCgroup(t, "cpu", "io", "memory", "pids")
	apply(t, dir, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(96 << 20)},
		Pids:   &specs.LinuxPids{Limit: i64(32)},
	})
	if out, ok := runIn(t, dir, "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo done"); !ok || out != "done" {
		t.Fatalf("busy loop: %q", out)
	}
	sleeper, _, err := startIn(t, dir, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	var s stats.Stats
	if err := Stats(dir, &s); err != nil {
		t.Fatal(err)
	}
	_ = sleeper.Process.Kill()
	_ = sleeper.Wait()
	t.Logf("cpu %+v, memory usage %+v, swap %+v, pids %+v", s.CPU, s.Memory.Usage, s.Memory.Swap, s.Pids)
	if s.CPU.Usage.Total == 0 || s.CPU.Usage.User+s.CPU.Usage.Kernel == 0 {
		t.Errorf("no cpu time counted: %+v", s.CPU.Usage)
	}
	if s.Pids.Current != 1 || s.Pids.Limit != 32 {
		t.Errorf("pids %+v, want 1 of 32", s.Pids)
	}
	if s.Memory.Usage.Limit != 64<<20 || s.Memory.Swap.Limit != 96<<20 || s.Memory.Usage.Usage == 0 || len(s.Memory.Raw) == 0 {
		t.Errorf("memory %+v swap %+v", s.Memory.Usage, s.Memory.Swap)
	}
}

func TestKernelPidsLimit(t *testing.T) {
	dir := testCgroup(t, "pids")
	apply(t, dir, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(3)}})
	var started []*exec.Cmd
	defer func() {
		for _, c := range started {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		var c *exec.Cmd
		if c, _, err = startIn(t, dir, "sleep", "60"); err == nil {
			started = append(started, c)
		}
	}
	if len(started) != 3 || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("started %d processes under pids.max 3, then %v (want EAGAIN)", len(started), err)
	}
	if ev, _ := cgfile.ReadKV(dir, "pids.events"); ev["max"] == 0 {
		t.Errorf("pids.events max not counted: %v", ev)
	}
}

func TestKernelOOMKill(t *testing.T) {
	dir := testCgroup(t, "memory")
	apply(t, dir, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(32 << 20), Swap: i64(32 << 20)}})
	expectFiles(t, dir, map[string]string{"memory.max": "33554432", "memory.swap.max": "0"})
	// tail keeps the last lines of /dev/zero, one line that never ends.
	cmd, _, err := startIn(t, dir, "tail", "/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("tail /dev/zero under 32 MiB: %v, want killed by SIGKILL", err)
	}
	n, err := OOMKills(dir)
	if err != nil || n != 1 {
		t.Errorf("OOMKills = %d, %v; want 1", n, err)
	}
	var s stats.Stats
	if err := Stats(dir, &s); err != nil || s.Memory.Usage.Failcnt == 0 {
		t.Errorf("memory.events max not counted as failcnt: %+v %v", s.Memory.Usage, err)
	}
}

func TestKernelEnableControllers(t *testing.T) {
	dir := testCgroup(t)
	root := mountOf(t, kernelRoot(t))
	parent := filepath.Dir(dir)
	if err := EnableControllers(root, dir, []string{"memory", "pids"}); err != nil {
		t.Skipf("memory and pids: %v", err)
	}
	on, _ := cgfile.ReadString(parent, "cgroup.subtree_control")
	if !slices.Contains(strings.Fields(on), "memory") || !cgfile.Exists(dir, "pids.max") {
		t.Errorf("parent's subtree_control %q; pids.max in dir: %v", on, cgfile.Exists(dir, "pids.max"))
	}
	err := EnableControllers(root, dir, []string{"nosuch"})
	if err == nil || !strings.Contains(err.Error(), `"nosuch" is not available`) {
		t.Errorf("unknown controller: %v", err)
	}
	// A cgroup with processes of its own cannot hand controllers down.
	sleeper, _, err := startIn(t, dir, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	err = EnableControllers(root, filepath.Join(dir, "sub"), []string{"memory"})
	if err == nil || !strings.Contains(err.Error(), "has processes of its own") {
		t.Errorf("enable below a cgroup with a process: %v", err)
	}
}
