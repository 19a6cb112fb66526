package fs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/internal/field"
)

// renderDevices starts from "deny everything" and applies the rules in
// order, as v1's devices.allow/devices.deny lists do: each write changes
// the list, so the last rule that matches a device wins, which is the
// spec's order of evaluation.
func renderDevices(r *specs.LinuxResources) ([]cgfile.Write, error) {
	if len(r.Devices) == 0 {
		return nil, nil
	}
	out := []cgfile.Write{w("devices", "devices.deny", "a")}
	for i, d := range r.Devices {
		line, err := DeviceRule(d)
		if err != nil {
			return nil, field.Errorf(field.Index("linux.resources.devices", i), "%w", err)
		}
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		out = append(out, w(fmt.Sprintf("devices[%d]", i), file, line))
	}
	return out, nil
}

// DeviceRule renders one rule as "TYPE MAJOR:MINOR ACCESS" ("a" for all
// devices), with * for a missing or negative number.
func DeviceRule(d specs.LinuxDeviceCgroup) (string, error) {
	t := d.Type
	if t == "" {
		t = "a"
	}
	switch t {
	case "a", "b", "c":
	default:
		return "", fmt.Errorf("type %q is not a, b or c", t)
	}
	acc, err := cgfile.DeviceAccess(d.Access)
	if err != nil {
		return "", fmt.Errorf("access %w", err)
	}
	if t == "a" {
		return "a", nil
	}
	return fmt.Sprintf("%s %s:%s %s", t, num(d.Major), num(d.Minor), acc), nil
}

func num(p *int64) string {
	if p == nil || *p < 0 {
		return "*"
	}
	return fmt.Sprint(*p)
}
