package fs

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
)

// renderBlkio: one write per device line; v1 blkio files take a single
// "MAJ:MIN value" per write.
func renderBlkio(r *specs.LinuxResources) ([]cgfile.Write, error) {
	b := r.BlockIO
	if b == nil {
		return nil, nil
	}
	var out []cgfile.Write
	if b.Weight != nil && *b.Weight != 0 {
		out = append(out, bfq(w("blockIO.weight", "blkio.weight", strconv.FormatUint(uint64(*b.Weight), 10))))
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		out = append(out, w("blockIO.leafWeight", "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)))
	}
	for i, d := range b.WeightDevice {
		if d.Weight != nil {
			out = append(out, bfq(w(fmt.Sprintf("blockIO.weightDevice[%d]", i), "blkio.weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight))))
		}
		if d.LeafWeight != nil {
			out = append(out, w(fmt.Sprintf("blockIO.weightDevice[%d]", i), "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.LeafWeight)))
		}
	}
	throttles := []struct {
		field, file string
		devs        []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for i, d := range t.devs {
			out = append(out, w(fmt.Sprintf("blockIO.%s[%d]", t.field, i), t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)))
		}
	}
	return out, nil
}

// bfq sends a weight write to BFQ's file where the kernel has no CFQ one:
// kernels since 5.0 have no CFQ, and with BFQ the v1 weights are
// blkio.bfq.weight and blkio.bfq.weight_device, same values and format
// (runc does the same). The leaf weights exist only with CFQ.
func bfq(x cgfile.Write) cgfile.Write {
	x.Fallback = "blkio.bfq." + strings.TrimPrefix(x.File, "blkio.")
	return x
}
