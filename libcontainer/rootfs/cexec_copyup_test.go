package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// tmpcopyup copies before pivot_root, where an absolute symlink leads to the
// host: a directory of the source swapped for such a link while the copy
// runs (a volume another container writes) must never bring a file of the
// host into the copy. Another goroutine exchanges the directory cu/a with a
// symlink to a host directory (renameat2 RENAME_EXCHANGE) as fast as it
// can while the copy is made again and again; a copy may fail (the swap was seen), but what it reads is only ever
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
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i = (i + 1) % n {
			a, swap := filepath.Join(root, fmt.Sprintf("cu%d/a", i)), filepath.Join(root, fmt.Sprintf("cu%d/swap", i))
			if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, swap, unix.RENAME_EXCHANGE); err != nil {
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
		r := runPlan(t, cfg, checks...)
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
	t.Logf("%d runs of %d copies, %d failed on the swap, %d swaps", copied, n, failed, swaps.Load())
	if copied == 0 {
		t.Errorf("no run copied all %d trees in %d runs", n, failed)
	}
}
