package rtnl

import (
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel parses what encode makes: the same parser reads it back.
func TestEncodeMove(t *testing.T) {
	msg := encode(unix.RTM_NEWLINK, 0, 7, ifinfo(42), attr{unix.IFLA_IFNAME, cstring("eth7")}, attr{unix.IFLA_NET_NS_FD, u32(9)})
	if len(msg)%4 != 0 {
		t.Fatalf("length %d not aligned", len(msg))
	}
	msgs, err := syscall.ParseNetlinkMessage(msg)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("parse: %v, %d messages", err, len(msgs))
	}
	m := msgs[0]
	if m.Header.Type != unix.RTM_NEWLINK || m.Header.Seq != 7 || m.Header.Flags != unix.NLM_F_REQUEST|unix.NLM_F_ACK {
		t.Errorf("header = %+v", m.Header)
	}
	if idx := (*unix.IfInfomsg)(unsafe.Pointer(&m.Data[0])).Index; idx != 42 {
		t.Errorf("index = %d", idx)
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil || len(attrs) != 2 {
		t.Fatalf("attrs: %v, %d", err, len(attrs))
	}
	if attrs[0].Attr.Type != unix.IFLA_IFNAME || string(attrs[0].Value) != "eth7\x00" {
		t.Errorf("name attr = %+v %q", attrs[0].Attr, attrs[0].Value)
	}
	if attrs[1].Attr.Type != unix.IFLA_NET_NS_FD || len(attrs[1].Value) != 4 || attrs[1].Value[0] != 9 && attrs[1].Value[3] != 9 {
		t.Errorf("netns attr = %+v %v", attrs[1].Attr, attrs[1].Value)
	}
}

func TestIP(t *testing.T) {
	if got := IP(nil, []byte{10, 0, 0, 1}); got != "10.0.0.1" {
		t.Errorf("IP = %q", got)
	}
	if got := IP(nil, nil); got != "?" {
		t.Errorf("IP = %q", got)
	}
}
