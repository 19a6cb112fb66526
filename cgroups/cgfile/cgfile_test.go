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
	os.WriteFile(filepath.Join(dir, "kv"), []byte("a 1\nb max\nbad\nc 3\n"), 0o644)
	kv, err := ReadKV(dir, "kv")
	if err != nil || kv["a"] != 1 || kv["b"] != math.MaxUint64 || kv["c"] != 3 || len(kv) != 3 {
		t.Errorf("ReadKV = %v, %v", kv, err)
	}
}
