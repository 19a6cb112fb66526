package cgfile

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyAndRead(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := Apply(dir, []Write{{File: "a", Value: "12"}, {File: "gone", Value: "1", Optional: true}, {File: "b", Value: "max"}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ReadUint(dir, "a"); err != nil || v != 12 {
		t.Errorf("a = %d, %v", v, err)
	}
	if v, err := ReadUint(dir, "b"); err != nil || v != math.MaxUint64 {
		t.Errorf("b = %d, %v", v, err)
	}
	err = Apply(dir, []Write{{File: "missing", Value: "1", Field: "linux.resources.x"}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.x") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42": 42, "max": math.MaxUint64, "-1": 0} {
		if got, err := ParseUint(in); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseUint("x"); err == nil {
		t.Error("ParseUint(x) succeeded")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kv"), []byte("a 1\nb max\nbad\nc 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kv, err := ReadKV(dir, "kv")
	if err != nil || kv["a"] != 1 || kv["b"] != math.MaxUint64 || kv["c"] != 3 || len(kv) != 3 {
		t.Errorf("ReadKV = %v, %v", kv, err)
	}
}

// A write with a Fallback goes to File where it exists, else to Fallback
// (blkio.weight, else blkio.bfq.weight); without either, the error names
// both.
func TestApplyFallback(t *testing.T) {
	ws := []Write{{File: "blkio.weight", Fallback: "blkio.bfq.weight", Value: "500", Field: "linux.resources.blockIO.weight"}}
	bfq := t.TempDir()
	if err := os.WriteFile(filepath.Join(bfq, "blkio.bfq.weight"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Apply(bfq, ws); err != nil {
		t.Fatal(err)
	}
	if v, err := ReadString(bfq, "blkio.bfq.weight"); err != nil || v != "500" {
		t.Errorf("blkio.bfq.weight = %q, %v", v, err)
	}
	cfq := t.TempDir()
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if err := os.WriteFile(filepath.Join(cfq, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Apply(cfq, ws); err != nil {
		t.Fatal(err)
	}
	if v, _ := ReadString(cfq, "blkio.weight"); v != "500" {
		t.Errorf("blkio.weight = %q", v)
	}
	if v, _ := ReadString(cfq, "blkio.bfq.weight"); v != "" {
		t.Errorf("blkio.bfq.weight written too: %q", v)
	}
	err := Apply(t.TempDir(), ws)
	if err == nil || !strings.Contains(err.Error(), "blockIO.weight") || !strings.Contains(err.Error(), "/blkio.weight ") ||
		!strings.Contains(err.Error(), "/blkio.bfq.weight ") {
		t.Errorf("neither file: %v", err)
	}
}

// Letters other than r, w and m are left out, as runc leaves them out; none
// of the three is an error.
func TestDeviceAccess(t *testing.T) {
	for in, want := range map[string]string{"": "rwm", "rwm": "rwm", "mr": "rm", "rwx": "rw", "rW": "r", "r w": "rw", "wwr": "rw"} {
		if got, err := DeviceAccess(in); err != nil || got != want {
			t.Errorf("DeviceAccess(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "RWM", " "} {
		if _, err := DeviceAccess(in); err == nil || !strings.Contains(err.Error(), "none of r, w and m") {
			t.Errorf("DeviceAccess(%q): %v", in, err)
		}
	}
}
