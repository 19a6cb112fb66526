package libcontainer

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/internal/rtnl"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// netDevices moves linux.netDevices from berth's network namespace into
// init's (config-linux.md "Network Devices"), as runc 1.4 does: each
// device is set down, moved and renamed in one request (so its name never
// clashes on the way), given back its permanent addresses of global scope
// (the kernel drops addresses on a move) and set up.
//
// Once the container is created they are not moved back: the spec forbids
// it ("The runtime MUST NOT attempt to move the interface out of the
// namespace before deletion"); when the namespace goes, the kernel returns
// physical devices to the initial namespace and destroys virtual ones
// (veth, macvlan). A create that fails, though, returns what it moved, as
// it was, to where it was: it leaves nothing of its own behind, and a
// virtual device would otherwise be destroyed with the namespace.
type netDevices struct {
	nsFd      int // the container's network namespace, held until done
	host, ctr *rtnl.Conn
	moved     []movedDevice
}

// movedDevice is what undo needs to put one device back.
type movedDevice struct {
	dev   configs.NetDevice
	index int // in the container's namespace
	addrs []rtnl.Addr
	wasUp bool
}

// moveNetDevices moves devs into the network namespace of pid. On error
// the devices already moved are moved back.
func moveNetDevices(pid int, devs []configs.NetDevice) (*netDevices, error) {
	if len(devs) == 0 {
		return nil, nil
	}
	n := &netDevices{nsFd: -1}
	err := n.open(pid)
	for i := 0; err == nil && i < len(devs); i++ {
		if err = n.move(devs[i]); err != nil {
			err = fmt.Errorf("linux.netDevices[%s]: %w", devs[i].HostName, err)
		}
	}
	if err != nil {
		return nil, errors.Join(err, n.undo())
	}
	return n, nil
}

func (n *netDevices) open(pid int) error {
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.netDevices: open the container's network namespace: %w", err)
	}
	n.nsFd = fd
	if n.host, err = rtnl.Open(); err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	if n.ctr, err = rtnl.OpenIn(fd); err != nil {
		return fmt.Errorf("linux.netDevices: netlink in the container's network namespace: %w", err)
	}
	return nil
}

// close lets the namespace go (init holds it while it lives).
func (n *netDevices) close() {
	if n == nil {
		return
	}
	if n.ctr != nil {
		_ = n.ctr.Close()
	}
	if n.host != nil {
		_ = n.host.Close()
	}
	if n.nsFd >= 0 {
		unix.Close(n.nsFd)
	}
	*n = netDevices{nsFd: -1}
}

func (n *netDevices) move(d configs.NetDevice) error {
	idx, flags, err := n.host.Link(d.HostName)
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("no network device %q in berth's network namespace: %w", d.HostName, err)
		}
		return fmt.Errorf("find network device %q: %w", d.HostName, err)
	}
	addrs, err := n.host.Addrs(idx)
	if err != nil {
		return fmt.Errorf("addresses of %q: %w", d.HostName, err)
	}
	// config-linux.md: a name taken in the container is an error. The
	// kernel's own check comes too late: it moves the device under its
	// old name first and then fails to rename it.
	if !strings.Contains(d.Name, "%d") {
		if _, err := n.ctr.LinkIndex(d.Name); err == nil {
			return fmt.Errorf("move %q into the container as %q: a device of that name exists there: %w", d.HostName, d.Name, unix.EEXIST)
		}
	}
	// Down first, so that nothing on the host sends through it while it
	// changes name and namespace.
	if err := n.host.SetUp(idx, false); err != nil {
		return fmt.Errorf("set %q down: %w", d.HostName, err)
	}
	wasUp := flags&unix.IFF_UP != 0
	if err := n.host.Move(idx, d.Name, n.nsFd); err != nil {
		if cidx, cerr := n.ctr.LinkIndex(d.HostName); cerr == nil {
			// moved, but not renamed: undo brings it back
			n.moved = append(n.moved, movedDevice{dev: d, index: cidx, addrs: addrs, wasUp: wasUp})
		} else if wasUp {
			_ = n.host.SetUp(idx, true)
		}
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("move %q into the container as %q: a device of that name exists there: %w", d.HostName, d.Name, err)
		}
		return fmt.Errorf("move %q into the container as %q: %w", d.HostName, d.Name, err)
	}
	// By its name; a "%d" template the kernel completed by the index,
	// which it keeps where it is free in the new namespace (a new one has
	// only lo's).
	var nidx int
	if strings.Contains(d.Name, "%d") {
		nidx, err = n.ctr.LinkIndexOf(idx)
	} else {
		nidx, err = n.ctr.LinkIndex(d.Name)
	}
	if err != nil {
		return fmt.Errorf("find %q in the container after the move: %w", d.Name, err)
	}
	n.moved = append(n.moved, movedDevice{dev: d, index: nidx, addrs: addrs, wasUp: wasUp})
	kept := 0
	for _, a := range movable(addrs) {
		if err := n.ctr.AddAddr(nidx, a); err != nil {
			return fmt.Errorf("add address %s/%d to %q in the container: %w", rtnl.IP(a.Local, a.Address), a.PrefixLen, d.Name, err)
		}
		kept++
	}
	if err := n.ctr.SetUp(nidx, true); err != nil {
		return fmt.Errorf("set %q up in the container: %w", d.Name, err)
	}
	logs.Debugf("moved network device %s into the container as %s with %d of its %d addresses", d.HostName, d.Name, kept, len(addrs))
	return nil
}

// movable are the addresses that go with a device (config-linux.md, RFC
// 3549 2.3.3.2): those configured to last and not tied to the namespace
// they were made in, permanent ones of global scope; not those of
// autoconfiguration, nor of link or host scope.
func movable(addrs []rtnl.Addr) []rtnl.Addr {
	var out []rtnl.Addr
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_PERMANENT != 0 && a.Scope == unix.RT_SCOPE_UNIVERSE {
			a = userFlags(a)
			a.CacheInfo = nil
			out = append(out, a)
		}
	}
	return out
}

// userFlags keeps the address flags one sets, not the state of the old
// address (permanent, tentative, deprecated, ...).
func userFlags(a rtnl.Addr) rtnl.Addr {
	a.Flags &= unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR
	return a
}

// undo moves the devices moved so far back into berth's network
// namespace, with their names, permanent addresses and up state, last
// first; then lets the namespace go.
func (n *netDevices) undo() error {
	if n == nil {
		return nil
	}
	defer n.close()
	if len(n.moved) == 0 {
		return nil
	}
	own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.netDevices: move back: open berth's network namespace: %w", err)
	}
	defer unix.Close(own)
	var errs []error
	for i := len(n.moved) - 1; i >= 0; i-- {
		m := n.moved[i]
		if err := n.moveBack(m, own); err != nil {
			errs = append(errs, fmt.Errorf("linux.netDevices[%s]: move back from the container: %w", m.dev.HostName, err))
		}
	}
	n.moved = nil
	return errors.Join(errs...)
}

func (n *netDevices) moveBack(m movedDevice, own int) error {
	_ = n.ctr.SetUp(m.index, false)
	if err := n.ctr.Move(m.index, m.dev.HostName, own); err != nil {
		return err
	}
	idx, err := n.host.LinkIndex(m.dev.HostName)
	if err != nil {
		return err
	}
	// All of them, those with a lifetime too (with what was left of it
	// when they moved): the device comes back as it was.
	for _, a := range m.addrs {
		if a.Flags&unix.IFA_F_PERMANENT != 0 {
			a.CacheInfo = nil
		}
		if err := n.host.AddAddr(idx, userFlags(a)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add address %s/%d: %w", rtnl.IP(a.Local, a.Address), a.PrefixLen, err)
		}
	}
	if m.wasUp {
		return n.host.SetUp(idx, true)
	}
	return nil
}
