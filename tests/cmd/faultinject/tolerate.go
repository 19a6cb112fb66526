package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// tolerable are the calls whose failure berth may shrug off, each with the reason. A
// case that succeeds although a fault was injected is accepted only if every injected
// call is one of these: berth must not go on as if a mount, a write or a namespace
// change it needs had worked. maxN > 0 limits an entry to a process's first calls
// (what the loader and the Go runtime do before berth's main runs: berth's own reads
// of the same files come later, and must not be shrugged off).
var tolerable = []struct {
	re     *regexp.Regexp
	maxN   int
	reason string
}{
	{
		regexp.MustCompile(`^clone3\(\{flags=[^}]*CLONE_THREAD`), 0,
		"a thread of the Go runtime: with cgo, pthread_create makes it, and the runtime retries it on EAGAIN",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "(/etc/ld\.so\.cache|/lib/)`), 9,
		"the dynamic loader: it looks for libc and libseccomp in the next directory",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/proc/self/maps"`), 9,
		"glibc's pthread_getattr_np, for the main thread's stack (cgo): it has a fallback",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "(/sys/kernel/mm/transparent_hugepage/|/proc/self/cgroup"|/proc/self/mountinfo"|/sys/fs/cgroup/\*/cpu\.cfs_)`), 9,
		"the Go runtime's start in berth (init has none): huge page size, and the cgroup CPU limit for GOMAXPROCS, both optional",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/proc/self/uid_map"`), 0,
		"whether berth itself runs in a user namespace (rootless auto, the default --root): unreadable counts as the host's, as in runc; a wrong guess then fails on the first write it needs, naming the file",
	},
	{
		regexp.MustCompile(`^openat2\(#</>, "#/fd", \{flags=O_RDONLY\|O_CLOEXEC\|O_DIRECTORY,`), 0,
		"the stage's fd directory in its procfs handle (nsenter/procfs.c): an exec needs it only where close_range is missing and for the console's reopen, which opens the checked name then; a container's init needs it for exec.fifo's reopen, and fails create before ready without it",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/etc/(passwd|group)", O_RDONLY`), 0,
		"init's read of the image's /etc/passwd for HOME (the plan's OpHome, nsenter/exec.c): an unreadable one counts as none, as in runc (GetExecUserPath), and HOME is then /",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/proc/#/stat"`), 0,
		"the liveness check of a container's init: a failed read counts as gone; delete then kills what is left through the cgroup",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/sys/fs/cgroup/\*/<id>/(freezer\.state|cgroup\.events)"`), 0,
		"whether the container is paused: a failed read counts as not paused (a frozen one would then fail delete, not leak)",
	},
	{
		regexp.MustCompile(`^openat2\(#</sys/fs/cgroup>, "[^"/]+/<id>/(freezer\.state|cgroup\.events)"`), 0,
		"the same read of whether the container is paused, opened beneath the cgroup mount (cgfile.OpenFile)",
	},
	{
		regexp.MustCompile(`^openat\([^,]*, "/sys/fs/cgroup/\*/<id>(/cgroup\.procs)?", O_RDONLY\|O_CLOEXEC(\|O_DIRECTORY)?\)$`), 0,
		"delete's list of the processes left in the cgroups: on a failed read it kills through the cgroup all the same, reading the list again; and a cgroup that still has processes cannot be removed, so delete would fail, not leak",
	},
	{
		regexp.MustCompile(`^openat2\(#</sys/fs/cgroup>, "[^"/]+/<id>(/cgroup\.procs)?", \{flags=O_RDONLY\|O_CLOEXEC(\|O_DIRECTORY)?,`), 0,
		"the same list of the processes left, opened beneath the cgroup mount (cgfile.OpenFile)",
	},
	{
		execFifoOpen, 0,
		"init's open of the exec fifo, which blocks until start reads it, so it comes after create has returned (as in runc): its failure leaves the container stopped, which start reports (the create phase accepts that status only then)",
	},
	{
		regexp.MustCompile(`^unlinkat\([^,]*, "[^"]*/<id>", (#|AT_REMOVEDIR)\)$`), 0,
		"os.RemoveAll of the state directory: unlink, then rmdir, then empty it and rmdir again; the directory goes all the same",
	},
}

func checkTolerated(f *fault, injected []string) error {
	var bad []string
	for _, s := range injected {
		ok := false
		for _, t := range tolerable {
			if t.re.MatchString(s) && (t.maxN == 0 || f.n <= t.maxN) {
				ok = true
				break
			}
		}
		if !ok {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("succeeded although %s failed", strings.Join(bad, " and "))
	}
	return nil
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
