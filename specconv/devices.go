package specconv

import (
	"math"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// defaultDeviceMode is the mode of a device with no fileMode, and of the
// default devices: readable and writable by everyone, as on a host.
const defaultDeviceMode = 0o666

// DefaultDevices returns the device nodes every container gets, those of
// configs.DefaultDevices that are nodes (config-linux.md "Default
// Devices").
func DefaultDevices() []configs.Device {
	var out []configs.Device
	for _, d := range configs.DefaultDevices {
		if d.Node {
			out = append(out, configs.Device{Path: d.Path, Type: 'c', Major: d.Major, Minor: d.Minor, Mode: defaultDeviceMode})
		}
	}
	return out
}

// convertDevices resolves linux.devices (config-linux.md "Devices") and
// merges them with the defaults: a configured device replaces the default
// of the same path, in place; the others follow in their order.
func convertDevices(c *configs.Config, devices []specs.LinuxDevice) error {
	out := DefaultDevices()
	defaultAt := map[string]int{}
	for i, d := range out {
		defaultAt[d.Path] = i
	}
	seen := map[string]int{}
	for i, d := range devices {
		field := idx("linux.devices", i)
		cd, err := convertDevice(field, d)
		if err != nil {
			return err
		}
		if j, dup := seen[cd.Path]; dup {
			return fieldErr(field+".path", "duplicate device %q (also linux.devices[%d])", cd.Path, j)
		}
		seen[cd.Path] = i
		if k, ok := defaultAt[cd.Path]; ok {
			out[k] = cd
			continue
		}
		out = append(out, cd)
	}
	c.Devices = out
	return nil
}

func convertDevice(field string, d specs.LinuxDevice) (configs.Device, error) {
	var cd configs.Device
	path, err := absPath(field+".path", d.Path)
	if err != nil {
		return cd, err
	}
	cd.Path = path
	switch d.Type {
	case "c", "u":
		// mknod(1): u is an unbuffered character device, the same node.
		cd.Type = 'c'
	case "b":
		cd.Type = 'b'
	case "p":
		cd.Type = 'p'
	case "":
		return cd, fieldErr(field+".type", "missing")
	default:
		return cd, fieldErr(field+".type", "unknown device type %q (want c, b, u or p)", d.Type)
	}
	if cd.Type != 'p' {
		// major and minor are REQUIRED unless p; JSON cannot tell a
		// missing number from 0, so only the range is checked: makedev(3)
		// takes 32-bit halves.
		if d.Major < 0 || d.Major > math.MaxUint32 {
			return cd, fieldErr(field+".major", "%d out of range", d.Major)
		}
		if d.Minor < 0 || d.Minor > math.MaxUint32 {
			return cd, fieldErr(field+".minor", "%d out of range", d.Minor)
		}
		cd.Major, cd.Minor = d.Major, d.Minor
	}
	cd.Mode = defaultDeviceMode
	if d.FileMode != nil {
		// Only the permission bits: the node type comes from type.
		cd.Mode = uint32(d.FileMode.Perm())
	}
	if d.UID != nil {
		cd.UID = *d.UID
	}
	if d.GID != nil {
		cd.GID = *d.GID
	}
	return cd, nil
}
