package main

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"

	"github.com/berth-runtime/berth/capabilities"
	"github.com/berth-runtime/berth/seccomp"
	"github.com/berth-runtime/berth/specconv"
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print what this berth supports, as runtime-spec features.md JSON",
	Action: func(c *cli.Context) error {
		if err := checkArgCount(c, 0); err != nil {
			return err
		}
		yes, no := true, false
		sec := seccomp.Enabled()
		f := features.Features{
			OCIVersionMin: "1.0.0",
			OCIVersionMax: specs.Version,
			Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
			MountOptions:  specconv.KnownMountOptions(),
			Linux: &features.Linux{
				Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
				Capabilities: capabilities.Known(),
				Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &yes},
				Seccomp: &features.Seccomp{
					Enabled:        &sec,
					Actions:        seccomp.Actions(),
					Operators:      seccomp.Operators(),
					Archs:          seccomp.Archs(),
					KnownFlags:     seccomp.KnownFlags(),
					SupportedFlags: seccomp.SupportedFlags(),
				},
				Apparmor: &features.Apparmor{Enabled: &no},
				Selinux:  &features.Selinux{Enabled: &no},
				MountExtensions: &features.MountExtensions{
					IDMap: &features.IDMap{Enabled: &yes},
				},
			},
			Annotations: map[string]string{
				"io.github.berth.version":              version,
				"io.github.seccomp.libseccomp.version": seccomp.LibraryVersion(),
			},
		}
		return printJSON(f)
	},
}
