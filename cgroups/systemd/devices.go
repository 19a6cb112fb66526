package systemd

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// deviceAllow is one DeviceAllow= entry (D-Bus signature (ss)).
type deviceAllow struct {
	Path  string
	Perms string
}

// procDevices reads the major numbers' names (/proc/devices), which
// DeviceAllow takes for a whole major ("char-pts") before systemd 240.
var procDevices = func() (map[string]string, error) {
	f, err := os.Open("/proc/devices")
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	names := map[string]string{}
	kind := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch line {
		case "Character devices:":
			kind = "c"
		case "Block devices:":
			kind = "b"
		default:
			if num, name, ok := strings.Cut(line, " "); ok && kind != "" {
				names[kind+num] = name
			}
		}
	}
	return names, s.Err()
}

// DeviceProperties expresses the device rules as DevicePolicy= and
// DeviceAllow=, so that systemd's own device filter (a second eBPF
// program on v2; devices.allow on v1) agrees with berth's. systemd can
// only list what is allowed: rules that start by denying everything and
// then allow are exact ("strict", and an entry per rule); anything else
// (a deny after an allow, an allow of every device) leaves systemd's
// filter off ("auto", no entries) and berth's own enforces the rules.
func DeviceProperties(rules []specs.LinuxDeviceCgroup, version int) []sd.Property {
	open := []sd.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}
	if len(rules) == 0 || !denyAll(rules[0]) {
		return open
	}
	var names map[string]string
	var allow []deviceAllow
	for _, r := range rules[1:] {
		if !r.Allow || r.Type == "a" || r.Type == "" {
			return open
		}
		if r.Type != "c" && r.Type != "b" {
			return open
		}
		perms, err := cgfile.DeviceAccess(r.Access)
		if err != nil {
			return open
		}
		kind := map[string]string{"c": "char", "b": "block"}[r.Type]
		var path string
		switch {
		case r.Major == nil || *r.Major < 0:
			if r.Minor != nil && *r.Minor >= 0 {
				return open // any major, one minor: no such entry
			}
			path = kind + "-*"
		case r.Minor == nil || *r.Minor < 0:
			if version >= 240 {
				// systemd 240 takes the major's number ("char-136").
				path = kind + "-" + strconv.FormatInt(*r.Major, 10)
				break
			}
			if names == nil {
				if names, err = procDevices(); err != nil {
					return open
				}
			}
			name, ok := names[r.Type+strconv.FormatInt(*r.Major, 10)]
			if !ok {
				// No driver has the major: no node of it can be opened,
				// and the entry would name nothing.
				continue
			}
			path = kind + "-" + name
		default:
			path = fmt.Sprintf("/dev/%s/%d:%d", kind, *r.Major, *r.Minor)
		}
		e := deviceAllow{Path: path, Perms: perms}
		if !slices.Contains(allow, e) {
			allow = append(allow, e)
		}
	}
	return []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", allow)}
}

// denyAll is the rule runtimes' configs start with: deny every access to
// every device.
func denyAll(r specs.LinuxDeviceCgroup) bool {
	if r.Allow || (r.Type != "a" && r.Type != "") || (r.Major != nil && *r.Major >= 0) || (r.Minor != nil && *r.Minor >= 0) {
		return false
	}
	acc, err := cgfile.DeviceAccess(r.Access)
	return err == nil && acc == "rwm"
}
