package fs

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/cgroups/cgfile"
	"github.com/berth-runtime/berth/internal/field"
)

func renderNetCls(r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r.Network == nil || r.Network.ClassID == nil {
		return nil, nil
	}
	return []cgfile.Write{w("network.classID", "net_cls.classid", strconv.FormatUint(uint64(*r.Network.ClassID), 10))}, nil
}

func renderNetPrio(r *specs.LinuxResources) ([]cgfile.Write, error) {
	if r.Network == nil {
		return nil, nil
	}
	var out []cgfile.Write
	for i, p := range r.Network.Priorities {
		if p.Name == "" || strings.ContainsAny(p.Name, " \n/") {
			return nil, field.Errorf(field.Index("linux.resources.network.priorities", i)+".name", "%q is not an interface name", p.Name)
		}
		out = append(out, w(fmt.Sprintf("network.priorities[%d]", i), "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)))
	}
	return out, nil
}

func renderRdma(r *specs.LinuxResources) ([]cgfile.Write, error) {
	var out []cgfile.Write
	for dev, l := range r.Rdma {
		if dev == "" || strings.ContainsAny(dev, " \n") {
			return nil, field.Errorf("linux.resources.rdma["+strconv.Quote(dev)+"]", "not a device name")
		}
		var parts []string
		if l.HcaHandles != nil {
			parts = append(parts, fmt.Sprintf("hca_handle=%d", *l.HcaHandles))
		}
		if l.HcaObjects != nil {
			parts = append(parts, fmt.Sprintf("hca_object=%d", *l.HcaObjects))
		}
		if len(parts) > 0 {
			out = append(out, w("rdma."+dev, "rdma.max", dev+" "+strings.Join(parts, " ")))
		}
	}
	return out, nil
}
