// Package rtnl is the little of rtnetlink(7) that moving a network device
// into a container needs: find a link, list its addresses, set it down or
// up, move (and rename) it into another network namespace, add an address.
// A Conn is bound to the network namespace it was opened in, so the parent
// can work in the container's without a thread of its own living there.
package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is a NETLINK_ROUTE socket.
type Conn struct {
	fd  int
	seq uint32
}

// Open opens a socket in the caller's network namespace.
func Open() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket netlink", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind netlink", err)
	}
	return &Conn{fd: fd}, nil
}

// OpenIn opens a socket in the network namespace nsFd refers to: a thread
// of ours enters it, opens the socket (which stays bound to it) and comes
// back. A thread that cannot come back is left locked, so the Go runtime
// ends it rather than reuse it in the wrong namespace.
func OpenIn(nsFd int) (*Conn, error) {
	type result struct {
		c   *Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("open own network namespace: %w", err)}
			return
		}
		defer unix.Close(own)
		if err := unix.Setns(nsFd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: os.NewSyscallError("setns", err)}
			return
		}
		c, err := Open()
		if err := unix.Setns(own, unix.CLONE_NEWNET); err != nil {
			// stays locked: the thread dies with the goroutine
			if c != nil {
				_ = c.Close()
			}
			ch <- result{err: os.NewSyscallError("setns back", err)}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// attr is one rtattr: its type and payload.
type attr struct {
	typ  uint16
	data []byte
}

func align4(n int) int { return (n + 3) &^ 3 }

// request sends one message (header fields filled in here) and returns
// the payloads of the replies: every message of a dump, or nothing for an
// acknowledged request. An NLMSG_ERROR with a code is returned as its errno.
func (c *Conn) request(typ, flags uint16, body []byte, attrs ...attr) ([][]byte, error) {
	c.seq++
	msg := encode(typ, flags, c.seq, body, attrs...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, os.NewSyscallError("sendto netlink", err)
	}
	var out [][]byte
	buf := make([]byte, 64*1024)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("recvfrom netlink", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != c.seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("netlink reply: short error message")
				}
				if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
					return nil, unix.Errno(-code)
				}
				return out, nil
			default:
				out = append(out, append([]byte(nil), m.Data...))
			}
		}
	}
}

// encode renders one request: the header, body, and each attribute
// padded to 4 bytes (its length field counts it unpadded).
func encode(typ, flags uint16, seq uint32, body []byte, attrs ...attr) []byte {
	msg := make([]byte, unix.SizeofNlMsghdr, 256)
	msg = append(msg, body...)
	for _, a := range attrs {
		l := unix.SizeofRtAttr + len(a.data)
		b := make([]byte, align4(l))
		binary.NativeEndian.PutUint16(b[0:2], uint16(l))
		binary.NativeEndian.PutUint16(b[2:4], a.typ)
		copy(b[4:], a.data)
		msg = append(msg, b...)
	}
	h := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	h.Len = uint32(len(msg))
	h.Type = typ
	h.Flags = flags | unix.NLM_F_REQUEST | unix.NLM_F_ACK
	h.Seq = seq
	return msg
}

func ifinfo(index int) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	(*unix.IfInfomsg)(unsafe.Pointer(&b[0])).Index = int32(index)
	return b
}

func cstring(s string) []byte { return append([]byte(s), 0) }

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

// Link returns the index and IFF_* flags of the link called name.
func (c *Conn) Link(name string) (index int, flags uint32, err error) {
	return c.link(ifinfo(0), attr{unix.IFLA_IFNAME, cstring(name)})
}

// LinkIndex returns the index of the link called name.
func (c *Conn) LinkIndex(name string) (int, error) {
	i, _, err := c.Link(name)
	return i, err
}

// LinkIndexOf checks that link index exists and returns it.
func (c *Conn) LinkIndexOf(index int) (int, error) {
	i, _, err := c.link(ifinfo(index))
	return i, err
}

func (c *Conn) link(body []byte, attrs ...attr) (int, uint32, error) {
	replies, err := c.request(unix.RTM_GETLINK, 0, body, attrs...)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range replies {
		if len(r) >= unix.SizeofIfInfomsg {
			m := (*unix.IfInfomsg)(unsafe.Pointer(&r[0]))
			return int(m.Index), m.Flags, nil
		}
	}
	return 0, 0, unix.ENODEV
}

// SetUp sets the link up (or down).
func (c *Conn) SetUp(index int, up bool) error {
	b := ifinfo(index)
	m := (*unix.IfInfomsg)(unsafe.Pointer(&b[0]))
	m.Change = unix.IFF_UP
	if up {
		m.Flags = unix.IFF_UP
	}
	_, err := c.request(unix.RTM_NEWLINK, 0, b)
	return err
}

// Move moves the link into the network namespace nsFd refers to, named
// name there, in one request: the name never clashes on the way.
func (c *Conn) Move(index int, name string, nsFd int) error {
	_, err := c.request(unix.RTM_NEWLINK, 0, ifinfo(index),
		attr{unix.IFLA_IFNAME, cstring(name)}, attr{unix.IFLA_NET_NS_FD, u32(uint32(nsFd))})
	return err
}

// Addr is one address of a link.
type Addr struct {
	Family    uint8
	PrefixLen uint8
	Scope     uint8
	// Flags are the IFA_F_* flags (IFA_FLAGS, else the header's 8 bits).
	Flags uint32
	// Local, Address and Broadcast are IFA_LOCAL, IFA_ADDRESS (the peer
	// of a point-to-point link, else the same as Local) and IFA_BROADCAST.
	Local, Address, Broadcast []byte
	// CacheInfo is IFA_CACHEINFO: the lifetimes left of an address that
	// is not permanent. AddAddr passes it on when set.
	CacheInfo []byte
}

// Addrs lists the addresses of link index, of every family.
func (c *Conn) Addrs(index int) ([]Addr, error) {
	replies, err := c.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, make([]byte, unix.SizeofIfAddrmsg))
	if err != nil {
		return nil, err
	}
	var out []Addr
	for _, r := range replies {
		if len(r) < unix.SizeofIfAddrmsg {
			continue
		}
		ifa := *(*unix.IfAddrmsg)(unsafe.Pointer(&r[0]))
		if int(ifa.Index) != index {
			continue
		}
		a := Addr{Family: ifa.Family, PrefixLen: ifa.Prefixlen, Scope: ifa.Scope, Flags: uint32(ifa.Flags)}
		attrs, err := syscall.ParseNetlinkRouteAttr(&syscall.NetlinkMessage{
			Header: syscall.NlMsghdr{Type: unix.RTM_NEWADDR}, Data: r,
		})
		if err != nil {
			return nil, fmt.Errorf("netlink address: %w", err)
		}
		for _, at := range attrs {
			switch at.Attr.Type {
			case unix.IFA_LOCAL:
				a.Local = at.Value
			case unix.IFA_ADDRESS:
				a.Address = at.Value
			case unix.IFA_BROADCAST:
				a.Broadcast = at.Value
			case unix.IFA_CACHEINFO:
				a.CacheInfo = at.Value
			case unix.IFA_FLAGS:
				if len(at.Value) >= 4 {
					a.Flags = binary.NativeEndian.Uint32(at.Value)
				}
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// AddAddr adds a to link index.
func (c *Conn) AddAddr(index int, a Addr) error {
	b := make([]byte, unix.SizeofIfAddrmsg)
	m := (*unix.IfAddrmsg)(unsafe.Pointer(&b[0]))
	m.Family, m.Prefixlen, m.Scope, m.Index = a.Family, a.PrefixLen, a.Scope, uint32(index)
	var attrs []attr
	for _, x := range []struct {
		typ uint16
		v   []byte
	}{{unix.IFA_LOCAL, a.Local}, {unix.IFA_ADDRESS, a.Address}, {unix.IFA_BROADCAST, a.Broadcast}, {unix.IFA_CACHEINFO, a.CacheInfo}} {
		if x.v != nil {
			attrs = append(attrs, attr{x.typ, x.v})
		}
	}
	if a.Flags != 0 {
		attrs = append(attrs, attr{unix.IFA_FLAGS, u32(a.Flags)})
	}
	_, err := c.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, b, attrs...)
	return err
}

// IP renders the first non-nil of addrs as an IP address, for messages.
func IP(addrs ...[]byte) string {
	for _, a := range addrs {
		if a != nil {
			return net.IP(a).String()
		}
	}
	return "?"
}
