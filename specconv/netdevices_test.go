package specconv

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func netdevs(m map[string]string) func(*specs.Spec, *Options) {
	return func(s *specs.Spec, _ *Options) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{}
		for k, v := range m {
			s.Linux.NetDevices[k] = specs.LinuxNetDevice{Name: v}
		}
	}
}

func TestNetDevices(t *testing.T) {
	const f = "linux.netDevices"
	runCases(t, []convCase{
		{
			name: "sorted, default names", mutate: netdevs(map[string]string{"veth1": "", "eth0": "ctr0", "x%d": "net%d", "y": "net%d"}),
			check: func(t *testing.T, c *configs.Config) {
				want := []configs.NetDevice{{HostName: "eth0", Name: "ctr0"}, {HostName: "veth1", Name: "veth1"}, {HostName: "x%d", Name: "net%d"}, {HostName: "y", Name: "net%d"}}
				if !slices.Equal(c.NetDevices, want) {
					t.Errorf("NetDevices = %v, want %v", c.NetDevices, want)
				}
			},
		},
		{name: "joined network namespace", mutate: func(s *specs.Spec, o *Options) {
			s.Linux.Namespaces[1].Path = "/run/netns/x"
			netdevs(map[string]string{"eth0": ""})(s, o)
		}, check: func(t *testing.T, c *configs.Config) {
			if len(c.NetDevices) != 1 {
				t.Errorf("NetDevices = %v", c.NetDevices)
			}
		}},
		{name: "no network namespace", mutate: func(s *specs.Spec, o *Options) {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "uts"}}
			netdevs(map[string]string{"eth0": ""})(s, o)
		}, wantField: f, wantErr: "needs a network namespace"},
		{name: "rootless", mutate: func(s *specs.Spec, o *Options) {
			o.Rootless = true
			netdevs(map[string]string{"eth0": ""})(s, o)
		}, wantField: f, wantErr: "needs root"},
		{name: "empty host name", mutate: netdevs(map[string]string{"": ""}), wantField: f + "[]", wantErr: "empty"},
		{name: "long host name", mutate: netdevs(map[string]string{"abcdefghijklmnop": ""}), wantField: f + "[abcdefghijklmnop]", wantErr: "longer than 15"},
		{name: "15 bytes", mutate: netdevs(map[string]string{"abcdefghijklmno": ""})},
		{name: "slash", mutate: netdevs(map[string]string{"a/b": ""}), wantField: f + "[a/b]", wantErr: "invalid network device name"},
		{name: "dotdot", mutate: netdevs(map[string]string{"eth0": ".."}), wantField: f + "[eth0].name", wantErr: "invalid network device name"},
		{name: "colon", mutate: netdevs(map[string]string{"eth0": "a:1"}), wantField: f + "[eth0].name", wantErr: "invalid network device name"},
		{name: "tab", mutate: netdevs(map[string]string{"eth0": "a\tb"}), wantField: f + "[eth0].name", wantErr: "invalid network device name"},
		{name: "same name twice", mutate: netdevs(map[string]string{"a": "c0", "b": "c0"}), wantField: f + "[b].name", wantErr: `also the name of "a"`},
		{name: "renamed onto another's default", mutate: netdevs(map[string]string{"a": "b", "b": ""}), wantField: f + "[b].name", wantErr: `also the name of "a"`},
	})
}
