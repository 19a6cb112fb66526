package logs

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestForward(t *testing.T) {
	var got []string
	SetSink(func(level, msg string) { got = append(got, level+" "+msg) })
	defer SetSink(func(string, string) {})
	in := `{"level":"debug","msg":"nsenter[7]: joined"}` + "\n" +
		`{"level":"error","msg":"mounts[2]: denied"}` + "\n" +
		"not json at all\n"
	wait := Forward(io.NopCloser(strings.NewReader(in)))
	wait(time.Second)
	want := []string{"debug nsenter[7]: joined", "error mounts[2]: denied", "debug not json at all"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("forwarded %q, want %q", got, want)
	}
}

func TestDebugfOnlyWhenDebugging(t *testing.T) {
	n := 0
	SetSink(func(string, string) { n++ })
	defer SetSink(func(string, string) {})
	Debugging = false
	Debugf("x %d", 1)
	Debugging = true
	Debugf("x %d", 2)
	Debugging = false
	if n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
}
