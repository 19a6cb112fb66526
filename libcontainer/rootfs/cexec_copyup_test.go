package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// tmpcopyup copies before pivot_root, where an absolute symlink leads to the
// host: a directory of the source swapped for such a link while the copy
// runs (a volume another container writes) must never bring a file of the
// host into the copy. Another goroutine exchanges the directory cu/a with a
// symlink to a host directory (renameat2 RENAME_EXCHANGE) as fast as it
// can while the copy is made again and again (every fourth run with the
// trees still); a copy may fail (the swap was seen), but what it reads is only ever
// the source's: no host file in the copy, nor in an error (a walk by path
// fails on a host file it listed once the link is gone again).
func TestCRootfsCopyupRace(t *testing.T) {
	outside := t.TempDir()
	for _, f := range []string{"host-secret"} {
		mkdirs(t, filepath.Dir(filepath.Join(outside, f)))
		if err := os.WriteFile(filepath.Join(outside, f), []byte("host"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Eight copies a run, each of a tree with its own swap.
	const n = 8
	entries, checks := []string{"dev"}, []string(nil)
	var mounts []configs.Mount
	for i := 0; i < n; i++ {
		cu := fmt.Sprintf("cu%d", i)
		entries = append(entries, cu+"/top=1", cu+"/swap->"+outside, cu+"/a")
		mounts = append(mounts, configs.Mount{Source: "tmpfs", Destination: "/" + cu, Type: "tmpfs", Tmpcopyup: true})
		checks = append(checks, "tree:/"+cu)
	}
	root := scratch(t, entries...)
	cfg := newConfig(root, mounts...)

	var stop atomic.Bool
	var swaps atomic.Int64
	var wg sync.WaitGroup
	// calm is held by the swapper for each exchange, and by a calm run
	// for the whole run: those copy trees that do not change, so that the
	// test sees copies succeed whatever the machine's load (a loaded
	// machine can make every racing run fail on a swap).
	var calm sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i = (i + 1) % n {
			a, swap := filepath.Join(root, fmt.Sprintf("cu%d/a", i)), filepath.Join(root, fmt.Sprintf("cu%d/swap", i))
			calm.Lock()
			err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, swap, unix.RENAME_EXCHANGE)
			calm.Unlock()
			if err != nil {
				t.Errorf("exchange: %v", err)
				return
			}
			swaps.Add(1)
		}
	}()
	defer wg.Wait()
	defer stop.Store(true)

	copied, failed := 0, 0
	for i := 0; i < 40 && !t.Failed(); i++ {
		quiet := i%4 == 3
		if quiet {
			calm.Lock()
		}
		r := runPlan(t, cfg, checks...)
		if quiet {
			calm.Unlock()
			if r.err != "" {
				t.Fatalf("a copy of trees that did not change failed: %s: %s", r.field, r.err)
			}
		}
		if strings.Contains(r.out+r.err, "host-secret") {
			t.Fatalf("the copy read a host directory through the swapped link:\n%s%s", r.err, r.out)
		}
		if r.err != "" {
			// The walk saw a link where a directory was, or an entry
			// gone: it stops, naming the mount.
			if !strings.HasPrefix(r.field, "mounts[") || !strings.Contains(r.err, "copy up /cu") {
				t.Fatalf("%s: %s", r.field, r.err)
			}
			failed++
			continue
		}
		copied++
		for _, c := range checks {
			if !strings.Contains(r.out, c[len("tree:"):]+"/top regular file") {
				t.Fatalf("the copy is missing %s/top:\n%s", c[len("tree:"):], r.out)
			}
		}
	}
	t.Logf("%d runs of %d copies (10 of them calm), %d failed on the swap, %d swaps", copied, n, failed, swaps.Load())
	if failed == 0 {
		t.Logf("no racing run saw a swap (a quiet machine can copy between two exchanges); what was read was the source's all the same")
	}
}

// The two ways tmpcopyup makes its tmpfs: detached through fds (fsopen,
// fsmount, move_mount), and on a kernel without them (ENOSYS) in a
// temporary directory of /tmp; both give the same mounts and errors.
var copyupWays = []struct {
	name  string
	check []string
}{{"fds", nil}, {"old way", []string{"no-new-mount-api"}}}

// noTmpLeft fails if a temporary directory of the old way is left in /tmp
// (the driver's /tmp is the host's).
func noTmpLeft(t *testing.T, before []string) {
	t.Helper()
	after, _ := filepath.Glob("/tmp/berth-tmpcopyup*")
	for _, a := range after {
		if !slices.Contains(before, a) {
			t.Errorf("%s left behind", a)
		}
	}
}

// The data and flags of config.json reach the tmpfs as mount(2) gave them:
// its source, size=, nr_inodes=, a mode= that wins over the covered
// directory's, nosuid, nodev, noexec, and ro after the copy.
func TestCRootfsCopyupOptions(t *testing.T) {
	for _, w := range copyupWays {
		t.Run(w.name, func(t *testing.T) {
			before, _ := filepath.Glob("/tmp/berth-tmpcopyup*")
			root := scratch(t, "dev", "cu/sub/f=data")
			const flags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RDONLY
			cfg := newConfig(root, configs.Mount{
				Source: "berth-cu", Destination: "/cu", Type: "tmpfs", Tmpcopyup: true,
				Flags: flags, Data: "size=1m,nr_inodes=100,mode=750",
			})
			r := runPlan(t, cfg, append([]string{"stat:/cu", "stat:/cu/sub/f"}, w.check...)...)
			if r.err != "" {
				t.Fatalf("%s: %s", r.field, r.err)
			}
			noTmpLeft(t, before)
			for _, want := range []string{"/cu directory 0750", "/cu/sub/f regular file 0644"} {
				if !strings.Contains(r.out, want) {
					t.Errorf("missing %q in\n%s", want, r.out)
				}
			}
			in := mountAt(r, "/cu")
			if in == nil || in.FSType != "tmpfs" || in.Source != "berth-cu" {
				t.Fatalf("/cu is not the tmpfs berth-cu: %+v", in)
			}
			for _, o := range []string{"ro", "nosuid", "nodev", "noexec"} {
				if !hasOpt(in, o) {
					t.Errorf("/cu lacks %s: %s", o, in.Options)
				}
			}
			for _, o := range []string{"size=1024k", "nr_inodes=100", "mode=750"} {
				if !strings.Contains(","+in.SuperOptions+",", ","+o+",") {
					t.Errorf("/cu lacks %s: %s", o, in.SuperOptions)
				}
			}
		})
	}
}

// A tmpfs too small for what it covers: the copy fails with the kernel's
// ENOSPC (a short write is retried until it says why), naming the entry.
func TestCRootfsCopyupNoSpace(t *testing.T) {
	for _, w := range copyupWays {
		t.Run(w.name, func(t *testing.T) {
			before, _ := filepath.Glob("/tmp/berth-tmpcopyup*")
			root := scratch(t, "dev", "cu/small=x")
			if err := os.WriteFile(filepath.Join(root, "cu/big"), make([]byte, 1<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := newConfig(root, configs.Mount{Source: "tmpfs", Destination: "/cu", Type: "tmpfs", Tmpcopyup: true, Data: "size=64k"})
			r := runPlan(t, cfg, w.check...)
			const want = "copy up /cu: copy big: no space left on device"
			if r.field != "mounts[0]" || r.err != want {
				t.Fatalf("got %s: %q, want mounts[0]: %q", r.field, r.err, want)
			}
			noTmpLeft(t, before)
		})
	}
}

// A tmpfs option the kernel refuses names the option (fsconfig says which;
// mount(2) does not). The data is split as mount(2) splits it: an SELinux
// context in quotes is one option, its commas kept and its quotes dropped.
func TestCRootfsCopyupBadOption(t *testing.T) {
	const context = `context="system_u:object_r:container_file_t:s0:c1,c2"`
	_, err := os.Stat("/sys/fs/selinux/enforce")
	selinux := err == nil
	for _, c := range []struct {
		way       int
		data      string
		check     []string
		want      string
		noSELinux bool
	}{
		{0, "size=lots", nil, "mount tmpfs for /cu: option size=lots: invalid argument", false},
		{1, "size=lots", []string{"no-new-mount-api"}, "mount tmpfs for /cu: invalid argument", false},
		// Without SELinux, tmpfs knows no context= option.
		{0, "size=1m," + context, nil, "mount tmpfs for /cu: option context=system_u:object_r:container_file_t:s0:c1,c2: invalid argument", true},
	} {
		t.Run(copyupWays[c.way].name+" "+c.data, func(t *testing.T) {
			if c.noSELinux && selinux {
				t.Skip("this host runs SELinux: the context is taken")
			}
			before, _ := filepath.Glob("/tmp/berth-tmpcopyup*")
			root := scratch(t, "dev", "cu/f=x")
			cfg := newConfig(root, configs.Mount{Source: "tmpfs", Destination: "/cu", Type: "tmpfs", Tmpcopyup: true, Data: c.data})
			r := runPlan(t, cfg, c.check...)
			if r.field != "mounts[0]" || r.err != c.want {
				t.Fatalf("got %s: %q, want mounts[0]: %q", r.field, r.err, c.want)
			}
			noTmpLeft(t, before)
		})
	}
}

// tmpcopyup with bind among the options is a bind of the source, as in
// runc (mount(2) ignores the type with MS_BIND): what the destination held
// is copied into the source, which is then mounted there.
func TestCRootfsCopyupBind(t *testing.T) {
	for _, w := range copyupWays {
		t.Run(w.name, func(t *testing.T) {
			root := scratch(t, "dev", "cu/inside=1")
			host := scratch(t, "from-host=2")
			cfg := newConfig(root, configs.Mount{Source: host, Destination: "/cu", Type: "tmpfs", Tmpcopyup: true, Flags: unix.MS_BIND})
			r := runPlan(t, cfg, append([]string{"stat:/cu/inside", "stat:/cu/from-host"}, w.check...)...)
			if r.err != "" {
				t.Fatalf("%s: %s", r.field, r.err)
			}
			for _, want := range []string{"/cu/inside regular file", "/cu/from-host regular file"} {
				if !strings.Contains(r.out, want) {
					t.Errorf("missing %q in\n%s", want, r.out)
				}
			}
			if in := mountAt(r, "/cu"); in == nil || in.FSType == "tmpfs" {
				t.Errorf("/cu is not the bind of %s: %+v", host, in)
			}
			if _, err := os.Stat(filepath.Join(host, "inside")); err != nil {
				t.Errorf("the copy did not go to the source: %v", err)
			}
		})
	}
}

// tmpcopyup's tmpfs carries linux.mountLabel as its SELinux context, as a
// new tmpfs does (runc labels it too); a bind keeps no data.
func TestCompileCopyupLabel(t *testing.T) {
	cfg := newConfig("/nonexistent-root",
		configs.Mount{Source: "tmpfs", Destination: "/cu", Type: "tmpfs", Tmpcopyup: true, Data: "size=1m"},
		configs.Mount{Source: "/src", Destination: "/b", Type: "tmpfs", Tmpcopyup: true, Flags: unix.MS_BIND})
	cfg.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
	p := plan.New()
	if err := CompilePrepare(cfg, p); err != nil {
		t.Fatal(err)
	}
	b, _ := p.Bytes()
	steps, err := plan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"mounts[0]": `size=1m,context="system_u:object_r:container_file_t:s0:c1,c2"`, "mounts[1]": ""}
	for _, s := range steps {
		w, ok := want[s.Field]
		if !ok {
			continue
		}
		delete(want, s.Field)
		// items: index, kind, how, flags, cleared, source, dest, type, data
		if data := s.Items[8]; data != w {
			t.Errorf("%s: data %q, want %q", s.Field, data, w)
		}
	}
	if len(want) != 0 {
		t.Errorf("no step for %v", want)
	}
}
