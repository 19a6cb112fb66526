package specconv

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// ifNameMax is the longest interface name the kernel takes: IFNAMSIZ (16)
// less the terminating NUL (net/core/dev.c dev_valid_name).
const ifNameMax = 15

// convertNetDevices checks linux.netDevices (config-linux.md "Network
// Devices"): host device names and the names they get in the container
// must be names the kernel accepts; the container must have a network
// namespace of its own (new, or joined by path: the devices move into
// whichever it is, as in runc), or the "move" would be into the host's;
// and berth must run as root, which alone may move a device. Two devices
// may not get the same name, except through a "%d" template, which the
// kernel completes.
func convertNetDevices(c *configs.Config, l *specs.Linux, opts Options) error {
	if len(l.NetDevices) == 0 {
		return nil
	}
	const f = "linux.netDevices"
	if _, ok := c.NamespacePath(string(specs.NetworkNamespace)); !ok {
		return fieldErr(f, "moving network devices needs a network namespace in linux.namespaces (else they would stay the host's)")
	}
	if opts.Rootless {
		return fieldErr(f, "moving network devices needs root, and berth runs rootless")
	}
	names := slices.Sorted(maps.Keys(l.NetDevices))
	taken := map[string]string{}
	for _, host := range names {
		field := f + "[" + host + "]"
		if err := checkIfName(host); err != nil {
			return fieldErr(field, "invalid network device name %q: %v", host, err)
		}
		name := l.NetDevices[host].Name
		if name == "" {
			name = host
		} else if err := checkIfName(name); err != nil {
			return fieldErr(field+".name", "invalid network device name %q: %v", name, err)
		}
		if other, dup := taken[name]; dup && !strings.Contains(name, "%d") {
			return fieldErr(field+".name", "%q is also the name of %q in the container", name, other)
		}
		taken[name] = host
		c.NetDevices = append(c.NetDevices, configs.NetDevice{HostName: host, Name: name})
	}
	return nil
}

// checkIfName applies the kernel's rules for an interface name.
func checkIfName(n string) error {
	switch {
	case n == "":
		return errors.New("empty name")
	case len(n) > ifNameMax:
		return fmt.Errorf("longer than %d bytes", ifNameMax)
	case n == "." || n == "..":
		return errors.New("not a valid interface name")
	case strings.ContainsAny(n, "/:") || strings.IndexFunc(n, unicode.IsSpace) >= 0 || strings.IndexByte(n, 0) >= 0:
		return errors.New("contains '/', ':', a space or a NUL byte")
	}
	return nil
}
