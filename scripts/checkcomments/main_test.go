package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A repository in miniature: each kind of stale reference is found once,
// and what exists, what is foreign and allowed, and what is English is not.
func TestCheck(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/a.go", `package a

/*
#include <stdio.h>
void cgoOnly(void) {}
*/
import "C"

// makeThing is called by useThing (b.go) and by gone.go's oldThing.
// Create a thing, then Start it: English words are left alone.
// See a/b.go, ./a/b.go, and the kernel's fs/namespace.c (allowed).
// setns(2) is a man page; helper() is a call of what exists; vanished() not.
// a.useThing and a.Missing; unix.Prctl is another package's.
func makeThing() {}
`)
	write("a/b.go", `package a

func useThing() { makeThing(); helper() }

func helper() {}
`)
	write("nsenter/x.c", `/* runs stageTwo() and see x.go */
static void stage_one(void) { const char *s = "/* not a comment */"; }
// stage_one() exists; stageTwo() does not
`)
	write("scripts/t.sh", "#!/bin/sh\n# runs a/b.go and a/none.go\necho a/also-none.go\n")
	write("docs/d.md", "The parent is `a/b.go`; `c/old.go` went.\n`makeThing` is; `goneThing` is not, and goneToo outside code is prose.\n")
	write(allowFile, "fs/namespace.c kernel\n")
	got, err := check(root, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a/a.go:9: names file gone.go, which does not exist",
		"a/a.go:9: names oldThing, which nothing in the repository declares or uses",
		"a/a.go:12: names vanished, which nothing in the repository declares or uses",
		"a/a.go:13: names Missing, which nothing in the repository declares or uses",
		"docs/d.md:1: names file c/old.go, which does not exist",
		"docs/d.md:2: names goneThing, which nothing in the repository declares or uses",
		"nsenter/x.c:1: names file x.go, which does not exist",
		"nsenter/x.c:1: names stageTwo, which nothing in the repository declares or uses",
		"nsenter/x.c:3: names stageTwo, which nothing in the repository declares or uses",
		"scripts/t.sh:2: names file a/none.go, which does not exist",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%q\nwant:\n%q", got, want)
	}
}

func TestFileRefs(t *testing.T) {
	for in, want := range map[string][]string{
		"in spawn.go.":                                {"spawn.go"},
		"every *_test.go file":                        nil,
		"github.com/x/y/z.go is a module":             nil,
		"e.g. this, i.e. that":                        nil,
		"rootfs/mount.go and nsenter/exec.c, berth.h": {"rootfs/mount.go", "nsenter/exec.c", "berth.h"},
	} {
		if got := fileRefs(in); !reflect.DeepEqual(got, want) {
			t.Errorf("fileRefs(%q) = %q, want %q", in, got, want)
		}
	}
}
