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
		yes := true
		sec := seccomp.Enabled()
		f := features.Features{
			OCIVersionMin: "1.0.0",
			OCIVersionMax: specs.Version,
			Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
			MountOptions:  specconv.KnownMountOptions(),
			Linux: &features.Linux{
				Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
				Capabilities: capabilities.Known(),
				Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &yes, Rdma: &yes},
				Seccomp: &features.Seccomp{
					Enabled:        &sec,
					Actions:        seccomp.Actions(),
					Operators:      seccomp.Operators(),
					Archs:          seccomp.Archs(),
					KnownFlags:     seccomp.KnownFlags(),
					SupportedFlags: seccomp.SupportedFlags(),
				},
				// features-linux.md: "enabled" says the runtime supports
				// the module, not that the host runs it; where it does
				// not, create refuses the profile or label, naming it.
				Apparmor: &features.Apparmor{Enabled: &yes},
				Selinux:  &features.Selinux{Enabled: &yes},
				// Where the host has no resctrl, create refuses
				// linux.intelRdt, naming it.
				IntelRdt: &features.IntelRdt{Enabled: &yes, Schemata: &yes, Monitoring: &yes},
				MemoryPolicy: &features.MemoryPolicy{
					Modes: specconv.KnownMemoryPolicyModes(),
					Flags: specconv.KnownMemoryPolicyFlags(),
				},
				NetDevices: &features.NetDevices{Enabled: &yes},
				MountExtensions: &features.MountExtensions{
					IDMap: &features.IDMap{Enabled: &yes},
				},
			},
			Annotations: map[string]string{
				"io.github.berth.version":              version,
				"io.github.seccomp.libseccomp.version": seccomp.LibraryVersion(),
			},
		}
		// berth acts on no annotation of config.json (it only hands them
		// to hooks and state): the list is empty, and says so, rather than
		// being left out, which a client could read as "unknown".
		return printJSON(struct {
			features.Features
			PotentiallyUnsafeConfigAnnotations []string `json:"potentiallyUnsafeConfigAnnotations"`
		}{f, []string{}})
	},
}
