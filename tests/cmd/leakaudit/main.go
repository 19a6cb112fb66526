// Command leakaudit snapshots what a test of berth could have left on the host, and
// compares snapshots (package tests/internal/leak says what a snapshot holds and how it
// is scoped); tests/reliability/leak.bash wraps it. One process reads /proc, the mount
// table and the cgroup trees: a shell doing the same forks hundreds of times, which on
// a loaded machine takes seconds.
//
// Usage:
//
//	leakaudit snapshot -ids "ID..." -paths "DIR..." -roots "DIR..." -parent PID
//	leakaudit diff BEFORE AFTER
//
// diff prints the lines of AFTER whose kind and key BEFORE has not (things that went
// away are fine), and processes that have become zombies since.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/berth-runtime/berth/tests/internal/leak"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "snapshot":
		fl := flag.NewFlagSet("snapshot", flag.ExitOnError)
		ids := fl.String("ids", "", "container ID prefixes, space-separated")
		paths := fl.String("paths", "", "path prefixes of the test, space-separated")
		roots := fl.String("roots", "", "--root directories of the test, space-separated")
		parent := fl.Int("parent", os.Getppid(), "the long-lived parent")
		_ = fl.Parse(os.Args[2:])
		s := &leak.Scope{IDs: strings.Fields(*ids), Paths: strings.Fields(*paths), Roots: strings.Fields(*roots), Parent: *parent}
		w := bufio.NewWriter(os.Stdout)
		for _, l := range s.Snapshot() {
			_, _ = fmt.Fprintln(w, l)
		}
		_ = w.Flush()
	case "diff":
		if len(os.Args) != 4 {
			usage()
		}
		before, err := readLines(os.Args[2])
		if err != nil {
			fail(err)
		}
		after, err := readLines(os.Args[3])
		if err != nil {
			fail(err)
		}
		for _, l := range leak.Diff(before, after) {
			fmt.Println(l)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: leakaudit snapshot -ids IDS -paths PATHS -roots ROOTS -parent PID | leakaudit diff BEFORE AFTER")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "leakaudit:", err)
	os.Exit(2)
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}
