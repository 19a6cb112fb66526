package specconv

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzConvert feeds arbitrary config.json bytes to Convert: it must never
// panic, and what it accepts must hold the invariants init relies on.
// Seeds: the base spec here, and testdata/fuzz/FuzzConvert.
func FuzzConvert(f *testing.F) {
	base, err := json.Marshal(baseSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		for _, systemd := range []bool{false, true} {
			o := baseOptions()
			o.SystemdCgroup = systemd
			o.Warn = func(string) {}
			c, err := Convert(&s, o)
			if err != nil {
				if c != nil {
					t.Fatalf("config returned with error %v", err)
				}
				if fe := (*FieldError)(nil); !errors.As(err, &fe) {
					t.Fatalf("error %q names no field", err)
				}
				continue
			}
			if !filepath.IsAbs(c.Rootfs) || !filepath.IsAbs(c.Process.Cwd) || len(c.Process.Args) == 0 {
				t.Fatalf("bad process or rootfs: %+v", c)
			}
			for _, m := range c.Mounts {
				if !filepath.IsAbs(m.Destination) || (m.IsBind() && !filepath.IsAbs(m.Source)) {
					t.Fatalf("bad mount %+v", m)
				}
			}
			for _, d := range c.Devices {
				if !filepath.IsAbs(d.Path) || d.Mode&^0o777 != 0 {
					t.Fatalf("bad device %+v", d)
				}
			}
			if c.CgroupsPath == "" {
				t.Fatal("no cgroups path")
			}
		}
	})
}

// TestFuzzSeeds checks that the committed seeds are what their names say:
// the good ones convert, the bad ones fail on the field they break.
func TestFuzzSeeds(t *testing.T) {
	want := map[string]string{
		"runc-default":  "",
		"everything":    "",
		"bad-namespace": "linux.namespaces[1].type",
		"bad-mount":     "mounts[0].options[0]",
	}
	for name, field := range want {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzConvert", name))
		if err != nil {
			t.Fatal(err)
		}
		_, lit, ok := strings.Cut(string(raw), "[]byte(")
		if !ok {
			t.Fatalf("%s: not a corpus file", name)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(lit), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var s specs.Spec
		if err := json.Unmarshal([]byte(data), &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = Convert(&s, baseOptions())
		switch {
		case field == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case field != "" && (err == nil || !strings.HasPrefix(err.Error(), field+": ")):
			t.Errorf("%s: error %v, want one on %s", name, err, field)
		}
	}
}
