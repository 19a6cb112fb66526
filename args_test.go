package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestReorderArgs(t *testing.T) {
	app := newApp()
	for in, want := range map[string]string{
		"delete ID --force":                    "delete --force ID",
		"delete ID -f":                         "delete -f ID",
		"--root /r delete ID --force":          "--root /r delete --force ID",
		"--root=/r --debug rm ID --force":      "--root=/r --debug rm --force ID",
		"update ID --memory 1M --pids-limit 5": "update --memory 1M --pids-limit 5 ID",
		"update ID --memory=1M":                "update --memory=1M ID",
		"update ID x --memory 1M":              "update --memory 1M ID x",
		"delete ID -- --force":                 "delete -- ID --force",
		"delete ID --bogus":                    "delete --bogus ID",
		"run ID -d --bundle b":                 "run -d --bundle b ID",
		// the command, ps options and kill's arguments are left as they are
		"exec ID sh -c --x":   "exec ID sh -c --x",
		"ps ID -o pid":        "ps ID -o pid",
		"kill ID --all KILL":  "kill ID --all KILL",
		"--log /x":            "--log /x",
		"frobnicate ID --x 1": "frobnicate ID --x 1",
	} {
		got := reorderArgs(app, append([]string{"berth"}, strings.Fields(in)...))[1:]
		if !reflect.DeepEqual(got, strings.Fields(want)) {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
