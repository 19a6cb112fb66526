package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSignature(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		// the hierarchy of a cgroup loop and the fd numbers do not tell sites apart
		{
			`openat(AT_FDCWD</x>, "/sys/fs/cgroup/cpu/c7/cgroup.procs", O_WRONLY|O_CLOEXEC) = 8</sys/fs/cgroup/cpu/c7/cgroup.procs>`,
			`openat(AT_FDCWD</x>, "/sys/fs/cgroup/pids/c7/cgroup.procs", O_WRONLY|O_CLOEXEC) = 9</sys/fs/cgroup/pids/c7/cgroup.procs>`,
		},
		// nor the entry of a masked-paths loop
		{
			`openat2(4</>, "/proc/bus", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_IN_ROOT}, 24) = 6`,
			`openat2(4</>, "/proc/irq", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_IN_ROOT}, 24) = -1 ENOENT (No such file or directory)`,
		},
		// nor the controller a cgroup mount names
		{
			`mount("cgroup", "/proc/self/fd/6", "cgroup", MS_RDONLY, "cpu") = 0`,
			`mount("cgroup", "/proc/self/fd/6", "cgroup", MS_RDONLY, "name=systemd") = 0`,
		},
	} {
		if sa, sb := signature(tc.a, "c7"), signature(tc.b, "c7"); sa != sb {
			t.Errorf("one site, two signatures:\n%s\n%s", sa, sb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{
			`openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY|O_CLOEXEC) = 3`,
			`openat(AT_FDCWD, "/proc/self/cgroup", O_RDONLY|O_CLOEXEC) = 3`,
		},
		{
			`mount("proc", "/proc/self/fd/6", "proc", 0, NULL) = 0`,
			`mount("tmpfs", "/proc/self/fd/6", "tmpfs", MS_NOSUID, "mode=755") = 0`,
		},
		{
			`clone3({flags=CLONE_VM|CLONE_THREAD, stack=0x7f}, 88) = 4222`,
			`clone(child_stack=NULL, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 4227`,
		},
	} {
		if signature(tc.a, "c7") == signature(tc.b, "c7") {
			t.Errorf("two sites, one signature: %s", signature(tc.a, "c7"))
		}
	}
}

func TestPlan(t *testing.T) {
	berthPath = "/usr/bin/berth"
	dir := t.TempDir()
	// the command (its own execve is not counted by strace), and its child
	if err := os.WriteFile(filepath.Join(dir, "t.100"), []byte(`execve("/usr/bin/berth", ["berth"], 0x1 /* 3 vars */) = 0
openat(AT_FDCWD, "/b/config.json", O_RDONLY|O_CLOEXEC) = 3
mkdirat(AT_FDCWD, "/sys/fs/cgroup/cpu/c7", 0755) = 0
mkdirat(AT_FDCWD, "/sys/fs/cgroup/pids/c7", 0755) = 0
write(9<socket:[1]>, "ack", 3) = 3
+++ exited with 0 +++
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.101"), []byte(`execve("/proc/self/fd/14", ["/proc/self/fd/14", "init"], 0x2 /* 6 vars */) = 0
openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 6
write(3</proc/self/fd/5>, "0", 1) = 1
execve("/bin/sleep", ["sleep", "100"], 0x3 /* 2 vars */) = 0
openat(AT_FDCWD, "/etc/localtime", O_RDONLY|O_CLOEXEC) = 3
`), 0o644); err != nil {
		t.Fatal(err)
	}
	faults, sites, err := plan(filepath.Join(dir, "t"), "c7", tracedSet())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range faults {
		got[f.String()] = true
	}
	// openat #1 hits config.json in one and ld.so.cache in the other: one fault;
	// the two cgroup mkdirs are one site, aimed at the last; sleep's own open after its
	// execve is not berth's
	want := []string{"openat #1", "mkdirat #2", "write #1", "execve #1", "execve #2"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no fault %s in %v", w, faults)
		}
	}
	if len(faults) != len(want) || sites != 7 {
		t.Errorf("%d faults for %d sites: %v", len(faults), sites, faults)
	}
}
