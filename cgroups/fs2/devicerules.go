package fs2

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// Access bits and device types as the kernel hands them to a
// BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_cgroup_dev_ctx).
const (
	accMknod = unix.BPF_DEVCG_ACC_MKNOD
	accRead  = unix.BPF_DEVCG_ACC_READ
	accWrite = unix.BPF_DEVCG_ACC_WRITE
	accAll   = accMknod | accRead | accWrite

	devBlock = unix.BPF_DEVCG_DEV_BLOCK
	devChar  = unix.BPF_DEVCG_DEV_CHAR
)

// Kernel device numbers have 12 major and 20 minor bits (MINORBITS); a
// rule naming a larger one matches no device.
const (
	maxMajor = 1<<12 - 1
	maxMinor = 1<<20 - 1
)

// devRule is one checked linux.resources.devices entry. typ is devBlock
// or devChar; major and minor are -1 for "any".
type devRule struct {
	allow        bool
	typ          int32
	major, minor int64
	access       int32
}

// devicePolicy is what the device program decides: deny or allow by
// default, then rules, the last matching one deciding each access.
type devicePolicy struct {
	defaultAllow bool
	rules        []devRule
}

// compileDevices checks the spec's rules and reduces them to a policy.
//
// The semantics are the v1 device lists' as berth's v1 driver writes them:
// everything is denied first, then the rules apply in order, each
// overriding earlier ones for the devices and accesses it names (type "a",
// or no type, means every device and every access, whatever the numbers
// and access say; no access means "rwm"; a missing or negative number
// means any). So the last rule matching a (device, access) pair decides
// it, separately for r, w and m: opening for read and write needs both.
// Only a rule of type "a" resets everything, so the rules before the last
// one are dropped and it sets the default.
//
// One difference from v1 on purpose: a deny rule for part of an earlier
// wildcard allow ("c *:* m", then deny "c 1:3 m") takes effect here, while
// v1's kernel silently keeps the wildcard (runc refuses such a list). The
// spec asks for the entries to be applied in order, and a device the
// configuration denies should be denied.
func compileDevices(rules []specs.LinuxDeviceCgroup) (devicePolicy, error) {
	var p devicePolicy
	for i, d := range rules {
		field := fmt.Sprintf("linux.resources.devices[%d]", i)
		r := devRule{allow: d.Allow, major: number(d.Major), minor: number(d.Minor)}
		switch d.Type {
		case "", "a":
			p = devicePolicy{defaultAllow: d.Allow}
		case "b":
			r.typ = devBlock
		case "c":
			r.typ = devChar
		default:
			return devicePolicy{}, fmt.Errorf("%s.type: %q is not a, b or c", field, d.Type)
		}
		acc, err := cgfile.DeviceAccess(d.Access)
		if err != nil {
			return devicePolicy{}, fmt.Errorf("%s.access: %w", field, err)
		}
		for _, c := range acc {
			switch c {
			case 'r':
				r.access |= accRead
			case 'w':
				r.access |= accWrite
			case 'm':
				r.access |= accMknod
			}
		}
		if r.typ == 0 || r.major > maxMajor || r.minor > maxMinor {
			continue // reset above, or a rule for no device
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

func number(p *int64) int64 {
	if p == nil || *p < 0 {
		return -1
	}
	return *p
}
