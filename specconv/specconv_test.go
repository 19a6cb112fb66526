package specconv

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

const testBundle = "/bundles/c1"

// baseSpec is a minimal valid spec: every case below mutates a fresh one.
func baseSpec() *specs.Spec {
	return &specs.Spec{
		Version: "1.3.0",
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: []string{"/bin/sh", "-c", "true"},
			Env:  []string{"PATH=/usr/bin:/bin"},
			Cwd:  "/",
		},
		Hostname: "box",
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: "pid"}, {Type: "network"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"},
			},
		},
	}
}

func baseOptions() Options {
	return Options{BundleDir: testBundle, ID: "c1"}
}

// convCase mutates the base spec and options, then expects either a config
// that passes check, or an error of field wantField containing wantErr.
type convCase struct {
	name      string
	mutate    func(s *specs.Spec, o *Options)
	check     func(t *testing.T, c *configs.Config)
	wantField string
	wantErr   string
}

func runCases(t *testing.T, cases []convCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, o := baseSpec(), baseOptions()
			if tc.mutate != nil {
				tc.mutate(s, &o)
			}
			c, err := Convert(s, o)
			if tc.wantField != "" || tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want error %q on %s, got none", tc.wantErr, tc.wantField)
				}
				checkErr(t, err, tc.wantField, tc.wantErr)
				if c != nil {
					t.Errorf("config returned with error: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// checkErr checks that err is about field (its message starts with it, and
// a *FieldError carries it) and contains msg.
func checkErr(t *testing.T, err error, field, msg string) {
	t.Helper()
	if field != "" {
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("error %q is not a *FieldError", err)
		}
		if fe.Field != field {
			t.Errorf("error field = %q, want %q (error %q)", fe.Field, field, err)
		}
		if !strings.HasPrefix(err.Error(), field+": ") {
			t.Errorf("error %q does not start with %q", err, field+": ")
		}
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not contain %q", err, msg)
	}
	if s := err.Error(); s != "" && strings.HasSuffix(s, ".") {
		t.Errorf("error %q ends with a period", s)
	}
}

func TestConvertBase(t *testing.T) {
	c, err := Convert(baseSpec(), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if c.Rootfs != "/bundles/c1/rootfs" {
		t.Errorf("Rootfs = %q", c.Rootfs)
	}
	if c.Version != "1.3.0" || c.Hostname != "box" || c.CgroupsPath != "/c1" {
		t.Errorf("Version %q Hostname %q CgroupsPath %q", c.Version, c.Hostname, c.CgroupsPath)
	}
	if len(c.Devices) != len(DefaultDevices()) {
		t.Errorf("Devices = %v, want the defaults", c.Devices)
	}
	if c.Process.Cwd != "/" || len(c.Process.Args) != 3 || c.Personality != nil || c.OOMScoreAdj != nil {
		t.Errorf("Process = %+v", c.Process)
	}
}

func TestConvertNil(t *testing.T) {
	if _, err := Convert(nil, baseOptions()); err == nil {
		t.Fatal("nil spec accepted")
	}
	o := baseOptions()
	o.BundleDir = "relative/bundle"
	_, err := Convert(baseSpec(), o)
	if err == nil || !strings.Contains(err.Error(), "bundle") {
		t.Fatalf("relative bundle: err = %v", err)
	}
}

func TestConvertTop(t *testing.T) {
	runCases(t, []convCase{
		{
			name: "version missing", mutate: func(s *specs.Spec, _ *Options) { s.Version = "" },
			wantField: "ociVersion", wantErr: "missing",
		},
		{
			name: "version major 2", mutate: func(s *specs.Spec, _ *Options) { s.Version = "2.0.0" },
			wantField: "ociVersion", wantErr: "unsupported major version",
		},
		{
			name: "version major 0", mutate: func(s *specs.Spec, _ *Options) { s.Version = "0.1.0" },
			wantField: "ociVersion", wantErr: "unsupported major version",
		},
		{
			name: "version not semver", mutate: func(s *specs.Spec, _ *Options) { s.Version = "1.0" },
			wantField: "ociVersion", wantErr: "not a semver",
		},
		{
			name: "version letters", mutate: func(s *specs.Spec, _ *Options) { s.Version = "1.x.0" },
			wantField: "ociVersion", wantErr: "not a semver",
		},
		{
			name: "version prerelease", mutate: func(s *specs.Spec, _ *Options) { s.Version = "1.0.2-dev+abc" },
			check: func(t *testing.T, c *configs.Config) {
				if c.Version != "1.0.2-dev+abc" {
					t.Errorf("Version = %q", c.Version)
				}
			},
		},
		{
			name: "root missing", mutate: func(s *specs.Spec, _ *Options) { s.Root = nil },
			wantField: "root", wantErr: "missing",
		},
		{
			name: "root path missing", mutate: func(s *specs.Spec, _ *Options) { s.Root.Path = "" },
			wantField: "root.path", wantErr: "missing",
		},
		{
			name: "root path nul", mutate: func(s *specs.Spec, _ *Options) { s.Root.Path = "a\x00b" },
			wantField: "root.path", wantErr: "NUL",
		},
		{name: "root absolute cleaned", mutate: func(s *specs.Spec, _ *Options) {
			s.Root = &specs.Root{Path: "/srv/x/../rootfs/", Readonly: true}
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Rootfs != "/srv/rootfs" || !c.Readonly {
				t.Errorf("Rootfs %q Readonly %v", c.Rootfs, c.Readonly)
			}
		}},
		{
			name: "root relative dotdot", mutate: func(s *specs.Spec, _ *Options) { s.Root.Path = "../other/rootfs" },
			check: func(t *testing.T, c *configs.Config) {
				if c.Rootfs != "/bundles/other/rootfs" {
					t.Errorf("Rootfs = %q", c.Rootfs)
				}
			},
		},
		{name: "options copied", mutate: func(_ *specs.Spec, o *Options) {
			o.NoPivot, o.NoNewKeyring, o.Rootless = true, true, true
		}, check: func(t *testing.T, c *configs.Config) {
			if !c.NoPivot || !c.NoNewKeyring || !c.Rootless || c.SystemdCgroup {
				t.Errorf("NoPivot %v NoNewKeyring %v Rootless %v SystemdCgroup %v",
					c.NoPivot, c.NoNewKeyring, c.Rootless, c.SystemdCgroup)
			}
		}},
		{name: "annotations copied", mutate: func(s *specs.Spec, _ *Options) {
			s.Annotations = map[string]string{"a": "1"}
		}, check: func(t *testing.T, c *configs.Config) {
			if c.Annotations["a"] != "1" {
				t.Errorf("Annotations = %v", c.Annotations)
			}
		}},
		{
			name: "no linux object", mutate: func(s *specs.Spec, _ *Options) { s.Linux = nil; s.Hostname = "" },
			check: func(t *testing.T, c *configs.Config) {
				if len(c.Namespaces) != 0 || c.CgroupsPath != "/c1" {
					t.Errorf("Namespaces %v CgroupsPath %q", c.Namespaces, c.CgroupsPath)
				}
			},
		},
	})
}

func TestFieldError(t *testing.T) {
	inner := errors.New("boom")
	err := error(&FieldError{Field: "a.b[1]", Err: inner})
	if err.Error() != "a.b[1]: boom" {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, inner) {
		t.Error("FieldError does not unwrap")
	}
}
