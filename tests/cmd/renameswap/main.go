// Command renameswap is a test helper for berth's integration tests: the attacker of the
// symlink-exchange races (CVE-2021-30465, CVE-2025-31133). It swaps two paths (a
// directory and a symlink, a device node and a symlink, ...) atomically with
// renameat2(RENAME_EXCHANGE), over and over, while the runtime sets containers up.
//
// Usage:
//
//	renameswap [-for DURATION] [-pause DURATION] PATH1 PATH2
//
// It stops after -for (default 60s, so that a forgotten swapper cannot outlive a test
// run) or on SIGTERM/SIGINT, and prints the number of swaps made. A failing swap is an
// error (exit 1): a race that stopped racing would prove nothing. Except EXDEV and
// EBUSY for up to a second: without a mount namespace the runtime's mounts are made
// in the host's, on the very paths being swapped (a mount point cannot be renamed),
// until the container is deleted; swapping resumes then.
//
// It sleeps -pause between swaps. The default 1us, which the kernel rounds up to its
// timer slack, gives some thousands of swaps a second for a fraction of a CPU. -pause 0
// swaps flat out (some 100000 a second), which a runtime's window of a few microseconds
// between checking a path and using it needs; it takes a whole CPU and, as every rename
// bumps the kernel's global rename sequence count that path walks and getcwd retry on,
// slows the whole machine: keep such races short.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	d := flag.Duration("for", 60*time.Second, "stop after this long")
	pause := flag.Duration("pause", time.Microsecond, "sleep this long between swaps (0: never)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: renameswap [-for DURATION] PATH1 PATH2")
		os.Exit(2)
	}
	a, b := flag.Arg(0), flag.Arg(1)
	var stop atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; stop.Store(true) }()
	time.AfterFunc(*d, func() { stop.Store(true) })
	n := 0
	var blockedSince time.Time
	for !stop.Load() {
		if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
			if err == unix.EXDEV || err == unix.EBUSY {
				if blockedSince.IsZero() {
					blockedSince = time.Now()
				}
				if time.Since(blockedSince) < time.Second {
					continue
				}
			}
			fmt.Fprintf(os.Stderr, "renameswap: exchange %s %s after %d swaps: %v\n", a, b, n, err)
			os.Exit(1)
		}
		blockedSince = time.Time{}
		n++
		if *pause > 0 {
			ts := unix.NsecToTimespec(pause.Nanoseconds())
			_ = unix.Nanosleep(&ts, nil)
		}
	}
	fmt.Println(n)
}
