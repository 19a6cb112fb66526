package fs2

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// IOHost is what the io writes depend on in the kernel: whether the BFQ
// scheduler's weight file is there, and whether it takes per-device lines.
type IOHost struct {
	BFQ        bool // dir has io.bfq.weight (BFQ is the scheduler of some disk)
	BFQDevices bool // io.bfq.weight takes "MAJ:MIN WEIGHT" lines (5.4+)
}

// ProbeIO looks at dir's io.bfq.weight. A 5.4+ kernel shows it as
// "default N" (and per-device lines); an older one as a bare number.
func ProbeIO(dir string) IOHost {
	s, err := cgfile.ReadString(dir, "io.bfq.weight")
	if err != nil {
		return IOHost{}
	}
	_, nerr := strconv.ParseUint(s, 10, 64)
	return IOHost{BFQ: true, BFQDevices: nerr != nil}
}

// renderIO is RenderIO for a kernel without BFQ, the pure form Render and
// Needed use.
func renderIO(r *specs.LinuxResources) ([]cgfile.Write, error) {
	return RenderIO(IOHost{}, r)
}

// RenderIO converts linux.resources.blockIO as runc does:
//   - weight (v1's 10..1000) goes as is to io.bfq.weight where BFQ is, as
//     BFQ's weights are v1's; else to io.weight converted to 1..10000
//     (BlkioToIOWeight);
//   - weightDevice goes to io.bfq.weight as "MAJ:MIN WEIGHT" where BFQ
//     takes per-device lines; without, there is no per-device weight file
//     that works without iocost being set up, and they are left out, as
//     runc leaves them out; leafWeight has no v2 equivalent;
//   - the throttles become one io.max line per device,
//     "MAJ:MIN rbps=N wbps=N riops=N wiops=N" with the keys given; a rate
//     of 0 is left out, as runc does.
func RenderIO(h IOHost, r *specs.LinuxResources) ([]cgfile.Write, error) {
	b := r.BlockIO
	if b == nil {
		return nil, nil
	}
	var out []cgfile.Write
	if b.Weight != nil && *b.Weight != 0 {
		wt := *b.Weight
		if wt < 10 || wt > 1000 {
			// v1's BFQ takes 1..9 too: a value for v1, not a bad one.
			return nil, cgfile.Hierarchy(fieldErr("blockIO.weight", "%d is not in 10..1000", wt))
		}
		if h.BFQ {
			out = append(out, w("blockIO.weight", "io.bfq.weight", strconv.FormatUint(uint64(wt), 10)))
		} else {
			out = append(out, w("blockIO.weight", "io.weight", strconv.FormatUint(BlkioToIOWeight(wt), 10)))
		}
	}
	for i, d := range b.WeightDevice {
		field := fmt.Sprintf("blockIO.weightDevice[%d]", i)
		if d.Weight == nil || *d.Weight == 0 || !h.BFQDevices {
			continue
		}
		if *d.Weight > 1000 {
			return nil, fieldErr(field+".weight", "%d is not in 1..1000", *d.Weight)
		}
		out = append(out, w(field, "io.bfq.weight", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight)))
	}
	t, err := throttles(b)
	return append(out, t...), err
}

// throttles gathers every limit of a device into one io.max write, devices
// in the order they first appear.
func throttles(b *specs.LinuxBlockIO) ([]cgfile.Write, error) {
	type dev struct {
		major, minor int64
	}
	var order []dev
	lines := map[dev][]string{}
	fields := map[dev]string{}
	for _, l := range []struct {
		field, key string
		devs       []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "rbps", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "wbps", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "riops", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "wiops", b.ThrottleWriteIOPSDevice},
	} {
		for i, t := range l.devs {
			field := fmt.Sprintf("blockIO.%s[%d]", l.field, i)
			if t.Major < 0 || t.Minor < 0 {
				return nil, fieldErr(field, "device %d:%d is not a block device number", t.Major, t.Minor)
			}
			if t.Rate == 0 {
				continue
			}
			d := dev{t.Major, t.Minor}
			if _, seen := lines[d]; !seen {
				order = append(order, d)
				fields[d] = field
			}
			lines[d] = append(lines[d], l.key+"="+strconv.FormatUint(t.Rate, 10))
		}
	}
	var out []cgfile.Write
	for _, d := range order {
		v := fmt.Sprintf("%d:%d %s", d.major, d.minor, strings.Join(lines[d], " "))
		out = append(out, w(fields[d], "io.max", v))
	}
	return out, nil
}

// BlkioToIOWeight maps v1's blkio.weight [10, 1000] linearly onto v2's
// io.weight [1, 10000], runc's formula 1 + (weight-10)*9999/990 (so the v1
// default 500 becomes 4950).
func BlkioToIOWeight(weight uint16) uint64 {
	weight = min(max(weight, 10), 1000)
	return 1 + (uint64(weight)-10)*9999/990
}
