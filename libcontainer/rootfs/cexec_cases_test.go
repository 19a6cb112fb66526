package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// A config as runc's default spec has it, plus binds of a host directory
// and file, devices, readonly and masked paths and a missing cwd.
func TestCRootfsStandard(t *testing.T) {
	root := scratch(t, "etc", "bin", "dev")
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "app.conf"), []byte("conf"), 0o644); err != nil {
		t.Fatal(err)
	}
	const nsn = unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV
	cfg := newConfig(root,
		configs.Mount{Source: "proc", Destination: "/proc", Type: "proc", Flags: nsn},
		configs.Mount{Source: "tmpfs", Destination: "/dev", Type: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		configs.Mount{Source: "devpts", Destination: "/dev/pts", Type: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620"},
		configs.Mount{Source: "shm", Destination: "/dev/shm", Type: "tmpfs", Flags: nsn, Data: "mode=1777,size=65536k"},
		configs.Mount{Source: "mqueue", Destination: "/dev/mqueue", Type: "mqueue", Flags: nsn},
		configs.Mount{Source: "sysfs", Destination: "/sys", Type: "sysfs", Flags: nsn | unix.MS_RDONLY},
		configs.Mount{Source: "cgroup", Destination: "/sys/fs/cgroup", Type: "cgroup", Flags: nsn | unix.MS_RELATIME | unix.MS_RDONLY},
		configs.Mount{Source: host, Destination: "/data", Type: "bind", Flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY},
		configs.Mount{Source: filepath.Join(host, "app.conf"), Destination: "/etc/conf/app.conf", Type: "bind", Flags: unix.MS_BIND},
	)
	cfg.Devices = []configs.Device{
		{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, Mode: 0o666},
		{Path: "/dev/zero", Type: 'c', Major: 1, Minor: 5, Mode: 0o666},
		{Path: "/dev/fifo0", Type: 'p', Mode: 0o600, UID: 7, GID: 8},
	}
	cfg.ReadonlyPaths = []string{"/proc/sys", "/proc/no-such-path"}
	cfg.MaskedPaths = []string{"/proc/version", "/sys/firmware", "/sys/kernel", "/sys/firmware/", "/proc/missing"}
	cfg.Process.Cwd = "/work/dir"
	r := runPlan(t, cfg, "stat:/dev/null", "stat:/dev/fifo0", "link:/dev/ptmx", "link:/dev/fd", "link:/dev/stderr",
		"stat:/work/dir", "stat:/etc/conf/app.conf", "stat:/dev")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	for _, want := range []string{
		"/dev/null character device 0666 1:3 0:0",
		"/dev/fifo0 fifo 0600 0:0 7:8",
		"/dev/ptmx -> pts/ptmx",
		"/dev/fd -> /proc/self/fd",
		"/dev/stderr -> /proc/self/fd/2",
		"/work/dir directory 0755",
		"/etc/conf/app.conf regular file",
		"/dev directory 0755", // the tmpfs's mode= of config.json wins over the covered directory's
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("missing %q in\n%s", want, r.out)
		}
	}
	for mp, fstype := range map[string]string{
		"/": "", "/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
		"/dev/mqueue": "mqueue", "/sys": "sysfs", "/sys/fs/cgroup": "tmpfs", "/data": "",
		"/etc/conf/app.conf": "", "/proc/sys": "proc", "/proc/version": "tmpfs", "/sys/firmware": "tmpfs",
		"/sys/kernel": "tmpfs",
	} {
		in := mountAt(r, mp)
		if in == nil {
			t.Errorf("nothing mounted at %s", mp)
			continue
		}
		if fstype != "" && in.FSType != fstype {
			t.Errorf("%s: %s, want %s", mp, in.FSType, fstype)
		}
	}
	for _, mp := range []string{"/sys", "/sys/fs/cgroup", "/data", "/proc/sys", "/sys/firmware", "/sys/kernel"} {
		if in := mountAt(r, mp); in != nil && !hasOpt(in, "ro") {
			t.Errorf("%s is not read-only: %s", mp, in.Options)
		}
	}
	if in := mountAt(r, "/proc"); in != nil && (!hasOpt(in, "nosuid") || !hasOpt(in, "nodev") || !hasOpt(in, "noexec")) {
		t.Errorf("/proc lost its flags: %s", in.Options)
	}
	// The masked directories share one tmpfs; /proc/version is /dev/null.
	fw, kern := mountAt(r, "/sys/firmware"), mountAt(r, "/sys/kernel")
	if fw != nil && kern != nil && (fw.Major != kern.Major || fw.Minor != kern.Minor) {
		t.Errorf("masked directories on two tmpfs: %d:%d and %d:%d", fw.Major, fw.Minor, kern.Major, kern.Minor)
	}
	if in := mountAt(r, "/proc/version"); in != nil && in.Root != "/null" {
		t.Errorf("/proc/version masked with %s, want the container's /null", in.Root)
	}
	n := 0
	for _, in := range r.mounts {
		if in.MountPoint == "/sys/firmware" {
			n++
		}
		// pivot_root detached the old root: no host path is left.
		if strings.HasPrefix(in.MountPoint, root) {
			t.Errorf("host path of the rootfs visible: %s", in.MountPoint)
		}
	}
	if n != 1 {
		t.Errorf("/sys/firmware masked %d times, want once (listed twice)", n)
	}
	// Each cgroup hierarchy is under the tmpfs, read-only.
	sub := 0
	for _, in := range r.mounts {
		if strings.HasPrefix(in.MountPoint, "/sys/fs/cgroup/") && (in.FSType == "cgroup" || in.FSType == "cgroup2") {
			sub++
			if !hasOpt(&in, "ro") {
				t.Errorf("%s is not read-only", in.MountPoint)
			}
		}
	}
	if sub == 0 {
		t.Error("no cgroup hierarchy under /sys/fs/cgroup")
	}
}

// A destination whose symlinks climb out of the rootfs, relatively or
// absolutely, resolves inside it (RESOLVE_IN_ROOT); the host's directory
// is left alone.
func TestCRootfsSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	root := scratch(t, "escape->"+strings.Repeat("../", 12)+outside[1:], "abs->"+outside, "etc/passwd-link->/etc/passwd", "dev")
	hostFile := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(hostFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := newConfig(root,
		configs.Mount{Source: "tmpfs", Destination: "/escape/sub", Type: "tmpfs"},
		configs.Mount{Source: "tmpfs", Destination: "/abs/sub2", Type: "tmpfs"},
		configs.Mount{Source: hostFile, Destination: "/etc/passwd-link", Type: "bind", Flags: unix.MS_BIND},
	)
	r := runPlan(t, cfg)
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	for _, mp := range []string{outside + "/sub", outside + "/sub2", "/etc/passwd"} {
		if mountAt(r, mp) == nil {
			t.Errorf("nothing mounted at %s inside the root", mp)
		}
		if _, err := os.Stat(filepath.Join(root, mp)); err != nil {
			t.Errorf("%s not made inside the rootfs: %v", mp, err)
		}
	}
	for _, p := range []string{"sub", "sub2"} {
		if _, err := os.Stat(filepath.Join(outside, p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the host's %s/%s was made: %v", outside, p, err)
		}
	}
}

// A dangling symlink (an image's /etc/resolv.conf) is followed as if the
// rootfs were "/": the file it names is made and bound over.
func TestCRootfsDanglingLink(t *testing.T) {
	root := scratch(t, "etc/resolv.conf->/run/stub.conf", "dev")
	src := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(src, []byte("nameserver 10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runPlan(t, newConfig(root, configs.Mount{Source: src, Destination: "/etc/resolv.conf", Type: "bind", Flags: unix.MS_BIND}), "stat:/run/stub.conf")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	if mountAt(r, "/run/stub.conf") == nil || !strings.Contains(r.out, "/run/stub.conf regular file") {
		t.Fatalf("the link's target is not the bind:\n%s", r.out)
	}
}

// Bad destinations and sources fail their step, named by its field, with
// the words berth's errors have always had.
func TestCRootfsBadDestination(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []string
		m       configs.Mount
		want    string
	}{
		{
			"proc on a symlink",
			[]string{"proc->/tmp"},
			configs.Mount{Source: "proc", Destination: "/proc", Type: "proc"},
			`mount destination: /proc is a symlink: filesystem "proc" must be mounted on ordinary directory`,
		},
		{
			"sysfs on a file",
			[]string{"sys=x"},
			configs.Mount{Source: "sysfs", Destination: "/sys", Type: "sysfs"},
			`mount destination: /sys is a regular file: filesystem "sysfs" must be mounted on ordinary directory`,
		},
		{
			"below a file",
			[]string{"etc/hostname=x"},
			configs.Mount{Source: "tmpfs", Destination: "/etc/hostname/x", Type: "tmpfs"},
			"mount destination: resolve /etc/hostname/x: not a directory",
		},
		{
			"missing source", nil,
			configs.Mount{Source: "/nonexistent-berth-src", Destination: "/x", Type: "bind", Flags: unix.MS_BIND},
			"bind mount source: stat /nonexistent-berth-src: no such file or directory",
		},
		{
			"link loop",
			[]string{"a->b", "b->a"},
			configs.Mount{Source: "tmpfs", Destination: "/a/x", Type: "tmpfs"},
			"mount destination: resolve /a/x: too many levels of symbolic links",
		},
		{
			"unknown fs", nil,
			configs.Mount{Source: "x", Destination: "/x", Type: "nosuchfs"},
			"mount nosuchfs on /x: no such device",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := scratch(t, append(c.entries, "dev")...)
			ok := configs.Mount{Source: "tmpfs", Destination: "/first", Type: "tmpfs"}
			r := runPlan(t, newConfig(root, ok, c.m))
			if r.field != "mounts[1]" || r.err != c.want {
				t.Fatalf("got %q: %q, want mounts[1]: %q", r.field, r.err, c.want)
			}
		})
	}
}

// A tmpfs takes the mode of the directory it covers; tmpcopyup copies
// what was there, modes and owners kept, and only in the container.
func TestCRootfsTmpfsModeAndCopyup(t *testing.T) {
	root := scratch(t, "opt", "var/spool/tmp", "var/spool/a=hello", "var/spool/l->a", "dev")
	// The owner first: chown clears the setuid bit.
	if err := os.Lchown(filepath.Join(root, "var/spool/a"), 12, 34); err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]os.FileMode{"opt": 0o750, "var/spool/tmp": 0o777 | os.ModeSticky, "var/spool/a": 0o755 | os.ModeSetuid} {
		if err := os.Chmod(filepath.Join(root, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	cfg := newConfig(root,
		configs.Mount{Source: "tmpfs", Destination: "/opt", Type: "tmpfs"},
		configs.Mount{Source: "tmpfs", Destination: "/var/spool", Type: "tmpfs", Tmpcopyup: true, Flags: unix.MS_RDONLY},
	)
	r := runPlan(t, cfg, "stat:/opt", "stat:/var/spool/tmp", "stat:/var/spool/a", "link:/var/spool/l")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	for _, want := range []string{
		"/opt directory 0750", "/var/spool/tmp directory 1777", "/var/spool/a regular file 4755 0:0 12:34", "/var/spool/l -> a",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("missing %q in\n%s", want, r.out)
		}
	}
	if in := mountAt(r, "/var/spool"); in == nil || in.FSType != "tmpfs" || !hasOpt(in, "ro") {
		t.Errorf("/var/spool is not a read-only tmpfs: %+v", in)
	}
	if in := mountAt(r, "/opt"); in == nil || in.FSType != "tmpfs" {
		t.Errorf("/opt is not a tmpfs: %+v", in)
	}
}

// root.readonly and a read-only /dev of config.json: /dev is filled
// first, then both turn read-only.
func TestCRootfsReadonlyRootAndDev(t *testing.T) {
	root := scratch(t, "etc")
	cfg := newConfig(root, configs.Mount{Source: "proc", Destination: "/proc", Type: "proc"},
		configs.Mount{Source: "tmpfs", Destination: "/dev", Type: "tmpfs", Flags: unix.MS_RDONLY | unix.MS_NOSUID})
	cfg.Devices = []configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, Mode: 0o666}}
	cfg.Readonly = true
	r := runPlan(t, cfg, "stat:/dev/null")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	if !strings.Contains(r.out, "/dev/null character device 0666 1:3") {
		t.Errorf("/dev not filled:\n%s", r.out)
	}
	for _, mp := range []string{"/", "/dev"} {
		if in := mountAt(r, mp); in == nil || !hasOpt(in, "ro") {
			t.Errorf("%s is not read-only: %+v", mp, in)
		}
	}
	if in := mountAt(r, "/dev"); in != nil && !hasOpt(in, "nosuid") {
		t.Errorf("/dev lost nosuid: %s", in.Options)
	}
}

// --no-pivot: the rootfs is moved onto / and chrooted into.
func TestCRootfsNoPivot(t *testing.T) {
	root := scratch(t, "marker=here", "dev")
	cfg := newConfig(root, configs.Mount{Source: "proc", Destination: "/proc", Type: "proc"})
	cfg.NoPivot = true
	r := runPlan(t, cfg, "stat:/marker")
	if r.err != "" {
		t.Fatalf("%s: %s", r.field, r.err)
	}
	if !strings.Contains(r.out, "/marker regular file") || mountAt(r, "/proc") == nil || mountAt(r, "/") == nil {
		t.Fatalf("not in the rootfs:\n%s\n%+v", r.out, r.mounts)
	}
}

// A malformed rootfs step fails before it does anything, naming its field.
func TestCRootfsMalformedStep(t *testing.T) {
	root := scratch(t)
	p := plan.New()
	p.Add(plan.OpRootBind, "root.path", plan.U(1), plan.U(unix.MS_SLAVE|unix.MS_REC), plan.S(root))
	p.Add(plan.OpMount, "mounts[0]", plan.U(0), plan.U(plan.MountFS), plan.U(0), plan.U(0))
	b, _ := p.Bytes()
	r := runPlanBytes(t, b)
	want := `{"type":"error","step":"mounts[0]","msg":"malformed plan step 51","errno":0}`
	if len(r.raw) != 1 || r.raw[0] != want {
		t.Fatalf("got %q, want %s", r.raw, want)
	}
}

// Every truncation and flipped byte of a plan holding each rootfs step is
// decoded by rootfs_parse without a read past the end (the sanitizer
// would abort) and refused, or decoded to as many steps or fewer.
func TestCRootfsDecodeCorrupt(t *testing.T) {
	bin := buildRootfsRun(t)
	cfg := newConfig("/nonexistent-root",
		configs.Mount{Source: "proc", Destination: "/proc", Type: "proc", Propagation: []uintptr{unix.MS_PRIVATE}},
		configs.Mount{Source: "/src", Destination: "/b", Type: "bind", Flags: unix.MS_BIND, AttrSet: 1},
		configs.Mount{Source: "cgroup", Destination: "/sys/fs/cgroup", Type: "cgroup"},
	)
	cfg.Devices = []configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, Mode: 0o666}}
	cfg.NoPivot = true
	cfg.Readonly = true
	cfg.ReadonlyPaths = []string{"/proc/sys"}
	cfg.MaskedPaths = []string{"/proc/version"}
	p := plan.New()
	for _, c := range []func(*configs.Config, *plan.Plan) error{CompilePrepare, CompileEnter, CompileProtect} {
		if err := c(cfg, p); err != nil && !strings.Contains(err.Error(), "no such file") {
			t.Fatal(err)
		}
	}
	good, _ := p.Bytes()
	steps, err := plan.Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	var cases [][]byte
	cases = append(cases, good)
	for n := 4; n < len(good); n++ {
		cases = append(cases, good[:n])
	}
	for i := 4; i < len(good); i++ {
		for _, x := range []byte{0xff, 0x80, 0x01} {
			c := append([]byte(nil), good...)
			c[i] ^= x
			cases = append(cases, c)
		}
	}
	dir := t.TempDir()
	args := []string{"parse"}
	for i, c := range cases {
		f := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(f, c, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"ASAN_OPTIONS=detect_leaks=0"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rootfsrun parse: %v\n%s", err, out)
	}
	res := strings.Split(string(out), "--\n")
	if len(res) != len(cases)+1 {
		t.Fatalf("%d results for %d plans", len(res)-1, len(cases))
	}
	var want strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&want, "%d %s\n", s.Op, s.Field)
	}
	if res[0] != want.String() {
		t.Fatalf("the good plan decoded as\n%s\nwant\n%s", res[0], want.String())
	}
	for i, got := range res[1:] {
		if !strings.Contains(got, "error") && strings.Count(got, "\n") > len(steps) {
			t.Fatalf("plan % x decoded to more steps than it has:\n%s", cases[i+1], got)
		}
		// A truncation never decodes every step.
		if i+1 < len(good)-3 && !strings.Contains(got, "error") && got == want.String() {
			t.Fatalf("truncated plan % x decoded whole", cases[i+1])
		}
	}
}
