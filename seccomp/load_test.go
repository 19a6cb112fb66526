//go:build linux && cgo && !noseccomp

package seccomp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Loading a filter cannot be undone, so each load test runs in a child:
// the test binary again, running only TestHelperProcess, which compiles
// and loads one profile of loadCases, makes syscalls under it and prints
// what they did.

const (
	helperEnv = "BERTH_SECCOMP_HELPER"
	dirEnv    = "BERTH_SECCOMP_DIR"
)

type loadCase struct {
	profile specs.LinuxSeccomp
	// run makes syscalls under the loaded filter; fd is the listener
	// (or -1). It returns the line the parent compares.
	run func(f *Filter, fd int) string
}

// errName renders a syscall's outcome: "ok" or the errno's name.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if errno == 0 {
			return "ok"
		}
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

func rawErr(_, _ uintptr, errno syscall.Errno) string {
	return errName(errno)
}

// socketErr tries socket(2) and closes what it gets.
func socketErr(domain, typ, proto int) string {
	fd, err := unix.Socket(domain, typ, proto)
	if err == nil {
		unix.Close(fd)
	}
	return errName(err)
}

// allThreadsFiltered reports whether every thread of the process is in
// seccomp filter mode: TSYNC must have reached the threads of the Go
// runtime, not only the one that loaded.
func allThreadsFiltered() bool {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tasks) < 2 {
		return false
	}
	for _, task := range tasks {
		status, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil || !strings.Contains(string(status), "\nSeccomp:\t2\n") {
			return false
		}
	}
	return true
}

func errnoRet(e syscall.Errno) *uint { return uptr(uint(e)) }

var loadCases = map[string]loadCase{
	"errno": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOTBLK)},
				{Names: []string{"chdir"}, Action: specs.ActErrno},
				// No tracer: the kernel fails the call with ENOSYS.
				{Names: []string{"getppid"}, Action: specs.ActTrace, ErrnoRet: uptr(7)},
			},
		},
		run: func(_ *Filter, _ int) string {
			return fmt.Sprintf("mkdirat=%s chdir=%s getppid=%s getpid=%s threads=%v",
				errName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(os.Getenv(dirEnv), "d"), 0o700)),
				errName(unix.Chdir("/")),
				rawErr(unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)),
				rawErr(unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)),
				allThreadsFiltered())
		},
	},
	"kill_process": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}},
		},
		run: func(_ *Filter, _ int) string {
			fmt.Println("before")
			_, _, _ = unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
			return "survived"
		},
	},
	"trap": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActTrap}},
		},
		run: func(_ *Filter, _ int) string {
			_, _, _ = unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
			return "survived"
		},
	},
	"args": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{
					Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EDOM),
					Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 0xffffffff)},
				},
				{
					Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOTUNIQ),
					Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, unix.AF_INET6)},
				},
			},
		},
		run: func(_ *Filter, _ int) string {
			return fmt.Sprintf("personality(0xffffffff)=%s personality(0)=%s socket(AF_INET6)=%s socket(AF_INET)=%s socket(AF_UNIX)=%s",
				rawErr(unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)),
				rawErr(unix.RawSyscall(unix.SYS_PERSONALITY, 0, 0, 0)),
				socketErr(unix.AF_INET6, unix.SOCK_STREAM, 0),
				socketErr(unix.AF_INET, unix.SOCK_STREAM, 0),
				socketErr(unix.AF_UNIX, unix.SOCK_STREAM, 0))
		},
	},
	"same_argument": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{
					// A repeated index: the three conditions
					// are ORed (runc's reading), and every
					// socket matches one of them.
					Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOTUNIQ),
					Args: []specs.LinuxSeccompArg{
						arg(0, specs.OpNotEqual, unix.AF_UNIX),
						arg(0, specs.OpNotEqual, unix.AF_INET),
						arg(1, specs.OpEqualTo, unix.SOCK_DGRAM),
					},
				},
				{
					// Not a range: mask >= 0o100 OR mask <=
					// 0o200, every mask.
					Names: []string{"umask"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EDOM),
					Args: []specs.LinuxSeccompArg{
						arg(0, specs.OpGreaterEqual, 0o100),
						arg(0, specs.OpLessEqual, 0o200),
					},
				},
			},
		},
		run: func(_ *Filter, _ int) string {
			umask := func(m uintptr) string { return rawErr(unix.RawSyscall(unix.SYS_UMASK, m, 0, 0)) }
			return fmt.Sprintf("unix/dgram=%s inet/dgram=%s netlink/dgram=%s netlink/raw=%s umask(077)=%s umask(100)=%s umask(150)=%s umask(200)=%s umask(201)=%s",
				socketErr(unix.AF_UNIX, unix.SOCK_DGRAM, 0),
				socketErr(unix.AF_INET, unix.SOCK_DGRAM, 0),
				socketErr(unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_ROUTE),
				socketErr(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE),
				umask(0o77), umask(0o100), umask(0o150), umask(0o200), umask(0o201))
		},
	},
	"allowlist": {
		profile: specs.LinuxSeccomp{
			DefaultAction:   specs.ActErrno,
			DefaultErrnoRet: errnoRet(unix.EXDEV),
			Syscalls: []specs.LinuxSyscall{
				{Action: specs.ActAllow, Names: []string{
					// What the Go runtime needs to keep running
					// and exit, and what run below uses. rseq and
					// set_robust_list: glibc registers both in every
					// new thread (cgo makes the runtime's threads),
					// and a failed rseq there is fatal ("rseq
					// registration failed", written with writev).
					"rseq", "set_robust_list", "writev",
					"read", "write", "close", "exit", "exit_group", "futex", "nanosleep",
					"clock_nanosleep", "clock_gettime", "gettimeofday", "sched_yield",
					"mmap", "munmap", "madvise", "mprotect", "brk", "rt_sigreturn",
					"rt_sigaction", "rt_sigprocmask", "sigaltstack", "clone", "clone3",
					"gettid", "getpid", "getppid", "tgkill", "tkill", "epoll_pwait",
					"epoll_ctl", "epoll_wait", "fcntl", "getrandom", "sched_getaffinity",
					"no_such_syscall",
				}},
				// Equal to the default: left out.
				{Names: []string{"chdir"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EXDEV)},
			},
		},
		run: func(f *Filter, _ int) string {
			return fmt.Sprintf("getppid=%s mkdirat=%s chdir=%s ignored=%d",
				rawErr(unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)),
				errName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(os.Getenv(dirEnv), "d"), 0o700)),
				errName(unix.Chdir("/")),
				len(f.Ignored()))
		},
	},
	"enosys": {
		// The allowlist's names without clone3: rseq (334 on x86_64)
		// is the highest, so pidfd_open (434) and clone3 (435) are
		// newer than the profile and get ENOSYS, mkdirat (258) the
		// default errno.
		profile: specs.LinuxSeccomp{
			DefaultAction:   specs.ActErrno,
			DefaultErrnoRet: errnoRet(unix.EXDEV),
			Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Syscalls: []specs.LinuxSyscall{{Action: specs.ActAllow, Names: []string{
				"rseq", "set_robust_list", "writev",
				"read", "write", "close", "exit", "exit_group", "futex", "nanosleep",
				"clock_nanosleep", "clock_gettime", "gettimeofday", "sched_yield",
				"mmap", "munmap", "madvise", "mprotect", "brk", "rt_sigreturn",
				"rt_sigaction", "rt_sigprocmask", "sigaltstack", "clone",
				"gettid", "getpid", "getppid", "tgkill", "tkill", "epoll_pwait",
				"epoll_ctl", "epoll_wait", "fcntl", "getrandom", "sched_getaffinity",
			}}},
		},
		run: func(_ *Filter, _ int) string {
			if runtime.GOARCH != "amd64" {
				return "skipped"
			}
			return fmt.Sprintf("pidfd_open=%s clone3=%s mkdirat=%s getppid=%s",
				rawErr(unix.RawSyscall(unix.SYS_PIDFD_OPEN, 0, 0, 0)),
				rawErr(unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)),
				errName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(os.Getenv(dirEnv), "d"), 0o700)),
				rawErr(unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)))
		},
	},
	"log": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Flags: []specs.LinuxSeccompFlag{
				"SECCOMP_FILTER_FLAG_TSYNC",
				specs.LinuxSeccompFlagLog,
				specs.LinuxSeccompFlagSpecAllow,
			},
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActLog}},
		},
		run: func(_ *Filter, _ int) string {
			ppid, _, errno := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
			return fmt.Sprintf("getppid=%s same=%v", errName(errno), strconv.Itoa(int(ppid)) == os.Getenv("BERTH_SECCOMP_PPID"))
		},
	},
	"notify": {
		profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			ListenerPath:  "/run/agent.sock",
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdirat"}, Action: specs.ActNotify}},
		},
		run: func(f *Filter, fd int) string {
			if fd < 0 {
				return fmt.Sprintf("fd=%d", fd)
			}
			link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			// The agent answers the one notification with a success
			// that never happened.
			agent := make(chan string, 1)
			go func() {
				req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
				if err != nil {
					agent <- "receive: " + err.Error()
					return
				}
				name, _ := req.Data.Syscall.GetName()
				err = libseccomp.NotifRespond(libseccomp.ScmpFd(fd), &libseccomp.ScmpNotifResp{ID: req.ID})
				agent <- name + "/" + errName(err)
			}()
			dir := filepath.Join(os.Getenv(dirEnv), "notified")
			mkdir := errName(unix.Mkdirat(unix.AT_FDCWD, dir, 0o700))
			_, statErr := os.Stat(dir)
			return fmt.Sprintf("hasnotify=%v fd=%s cloexec=%v mkdirat=%s created=%v agent=%s",
				f.HasNotify(), link, flags&unix.FD_CLOEXEC != 0, mkdir, statErr == nil, <-agent)
		},
	},
}

// TestHelperProcess is the child of the load tests; it does nothing in a
// normal run.
func TestHelperProcess(t *testing.T) {
	name := os.Getenv(helperEnv)
	if name == "" {
		t.Skip("the child of the load tests")
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(3)
	}
	c, ok := loadCases[name]
	if !ok {
		fail("no load case %q", name)
	}
	// no_new_privs and the load on the same thread, as init does.
	runtime.LockOSThread()
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		fail("no core dumps: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("no_new_privs: %v", err)
	}
	f, err := Compile(&c.profile)
	if err != nil {
		fail("compile: %v", err)
	}
	fd, err := load(f)
	if err != nil {
		fail("load: %v", err)
	}
	fmt.Println("result: " + c.run(f, fd))
	os.Exit(0)
}

// runHelper runs one load case in a child and returns its result line,
// stderr, and how it ended.
func runHelper(t *testing.T, name string) (string, string, *os.ProcessState) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+name,
		dirEnv+"="+t.TempDir(),
		"BERTH_SECCOMP_PPID="+strconv.Itoa(os.Getpid()))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run helper %s: %v", name, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("helper %s timed out; stdout %q stderr %q", name, stdout.String(), stderr.String())
	}
	result := ""
	for _, line := range strings.Split(stdout.String(), "\n") {
		if r, ok := strings.CutPrefix(line, "result: "); ok {
			result = r
		}
	}
	return result, stderr.String(), cmd.ProcessState
}

func requireSeccomp(t *testing.T) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(status), "\nSeccomp:") {
		t.Skip("this kernel has no seccomp")
	}
}

func TestLoad(t *testing.T) {
	requireSeccomp(t)
	cases := []struct{ name, want string }{
		{"errno", "mkdirat=ENOTBLK chdir=EPERM getppid=ENOSYS getpid=ok threads=true"},
		{"args", "personality(0xffffffff)=EDOM personality(0)=ok socket(AF_INET6)=ENOTUNIQ socket(AF_INET)=ok socket(AF_UNIX)=ok"},
		{"same_argument", "unix/dgram=ENOTUNIQ inet/dgram=ENOTUNIQ netlink/dgram=ENOTUNIQ netlink/raw=ENOTUNIQ umask(077)=EDOM umask(100)=EDOM umask(150)=EDOM umask(200)=EDOM umask(201)=EDOM"},
		{"allowlist", "getppid=ok mkdirat=EXDEV chdir=EXDEV ignored=1"},
		{"enosys", "pidfd_open=ENOSYS clone3=ENOSYS mkdirat=EXDEV getppid=ok"},
		{"log", "getppid=ok same=true"},
		{"notify", "hasnotify=true fd=anon_inode:seccomp notify cloexec=true mkdirat=ok created=false agent=mkdirat/ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, stderr, state := runHelper(t, tc.name)
			if !state.Success() || got != tc.want {
				t.Fatalf("child %v\n got: %s\nwant: %s\nstderr: %s", state, got, tc.want, stderr)
			}
		})
	}
}

func TestLoadKillProcess(t *testing.T) {
	requireSeccomp(t)
	got, stderr, state := runHelper(t, "kill_process")
	ws, _ := state.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != unix.SIGSYS || got != "" {
		t.Fatalf("child %v, result %q, stderr %s; want it killed by SIGSYS", state, got, stderr)
	}
}

func TestLoadTrap(t *testing.T) {
	requireSeccomp(t)
	// SIGSYS reaches the Go runtime, which dies of it with exit status 2.
	got, stderr, state := runHelper(t, "trap")
	if state.ExitCode() != 2 || !strings.Contains(stderr, "SIGSYS") || got != "" {
		t.Fatalf("child %v, result %q, stderr %s; want a SIGSYS crash", state, got, stderr)
	}
}

// load installs the program and flags the plan carries (Program), as the
// C stage does (nsenter/exec.c), plus TSYNC: the test binary is a Go
// process with threads, where init is single-threaded. It returns the
// listener fd, or -1.
func load(f *Filter) (int, error) {
	prog, flags, err := f.Program()
	if err != nil {
		return -1, err
	}
	flags |= unix.SECCOMP_FILTER_FLAG_TSYNC
	if f.HasNotify() {
		// With TSYNC a failed sync would come back as a thread id, like
		// the listener fd: ESRCH makes it an error.
		flags |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, errno
	}
	if f.HasNotify() {
		return int(r), nil
	}
	if r != 0 {
		return -1, fmt.Errorf("thread %d could not take the filter (TSYNC)", r)
	}
	return -1, nil
}
