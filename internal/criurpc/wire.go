package criurpc

import (
	"errors"
	"fmt"
	"math"
)

// The protobuf wire format (protobuf.dev/programming-guides/encoding): each
// field is a varint key, field number << 3 | wire type, then a varint, or a
// varint length and that many bytes. Fields are written in field-number
// order, as the generated code writes them; a reader takes them in any order
// and the last value of a non-repeated field wins.
const (
	wireVarint     = 0
	wireI64        = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireI32        = 5
)

// ErrRequired is wrapped by Unmarshal when a required field is missing, as
// the generated decoder refuses such a message.
var ErrRequired = errors.New("required field not set")

type encoder struct{ b []byte }

func (e *encoder) varint(v uint64) {
	for v >= 0x80 {
		e.b = append(e.b, byte(v)|0x80)
		v >>= 7
	}
	e.b = append(e.b, byte(v))
}

func (e *encoder) key(num, wire int) { e.varint(uint64(num)<<3 | uint64(wire)) }

// int32 fields and enums are sign-extended to 64 bits on the wire.
func (e *encoder) int32(num int, v *int32) {
	if v != nil {
		e.key(num, wireVarint)
		e.varint(uint64(int64(*v)))
	}
}

func (e *encoder) uint32(num int, v *uint32) {
	if v != nil {
		e.key(num, wireVarint)
		e.varint(uint64(*v))
	}
}

func (e *encoder) bool(num int, v *bool) {
	if v != nil {
		e.key(num, wireVarint)
		if *v {
			e.varint(1)
		} else {
			e.varint(0)
		}
	}
}

func (e *encoder) str(num int, v *string) {
	if v != nil {
		e.bytes(num, *v)
	}
}

func (e *encoder) bytes(num int, v string) {
	e.key(num, wireBytes)
	e.varint(uint64(len(v)))
	e.b = append(e.b, v...)
}

// msg writes a nested message: encoded on its own first, since its length
// comes before it.
func (e *encoder) msg(num int, body func(*encoder)) {
	var sub encoder
	body(&sub)
	e.bytes(num, string(sub.b))
}

// Marshal encodes a request as `criu swrk` reads it.
func Marshal(r *CriuReq) []byte {
	var e encoder
	if r.Type != nil {
		v := int32(*r.Type)
		e.int32(1, &v)
	}
	if r.Opts != nil {
		e.msg(2, r.Opts.encode)
	}
	e.bool(3, r.NotifySuccess)
	return e.b
}

func (o *CriuOpts) encode(e *encoder) {
	e.int32(1, o.ImagesDirFd)
	e.int32(2, o.Pid)
	e.bool(3, o.LeaveRunning)
	e.bool(4, o.ExtUnixSk)
	e.bool(5, o.TcpEstablished)
	e.bool(6, o.EvasiveDevices)
	e.bool(7, o.ShellJob)
	e.bool(8, o.FileLocks)
	e.int32(9, o.LogLevel)
	e.str(10, o.LogFile)
	if ps := o.Ps; ps != nil {
		e.msg(11, func(e *encoder) {
			e.str(1, ps.Address)
			e.int32(2, ps.Port)
		})
	}
	e.bool(12, o.NotifyScripts)
	e.str(13, o.Root)
	e.str(14, o.ParentImg)
	e.bool(15, o.TrackMem)
	e.bool(16, o.AutoDedup)
	e.int32(17, o.WorkDirFd)
	e.bool(18, o.LinkRemap)
	for _, m := range o.ExtMnt {
		e.msg(23, func(e *encoder) {
			e.str(1, m.Key)
			e.str(2, m.Val)
		})
	}
	e.bool(24, o.ManageCgroups)
	for _, c := range o.CgRoot {
		e.msg(25, func(e *encoder) {
			e.str(1, c.Ctrl)
			e.str(2, c.Path)
		})
	}
	e.bool(26, o.RstSibling)
	for _, f := range o.InheritFd {
		e.msg(27, func(e *encoder) {
			e.str(1, f.Key)
			e.int32(2, f.Fd)
		})
	}
	if o.ManageCgroupsMode != nil {
		v := int32(*o.ManageCgroupsMode)
		e.int32(34, &v)
	}
	for _, s := range o.External {
		e.bytes(37, s)
	}
	e.uint32(38, o.EmptyNs)
	for _, j := range o.JoinNs {
		e.msg(39, func(e *encoder) {
			e.str(1, j.Ns)
			e.str(2, j.NsFile)
		})
	}
	e.str(44, o.FreezeCgroup)
	e.bool(46, o.TcpSkipInFlight)
	e.bool(48, o.LazyPages)
	e.int32(49, o.StatusFd)
	e.bool(50, o.OrphanPtsMaster)
	e.str(53, o.LsmProfile)
	e.str(63, o.LsmMountContext)
}

// decoder reads one message's fields; each call of next yields a field.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated message")

func (d *decoder) uvarint() uint64 {
	var v uint64
	for i := 0; i < 10; i++ {
		if len(d.b) == 0 {
			d.fail(errTruncated)
			return 0
		}
		c := d.b[0]
		d.b = d.b[1:]
		if i == 9 && c > 1 {
			d.fail(errors.New("varint overflows 64 bits"))
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v
		}
	}
	d.fail(errors.New("varint longer than 10 bytes"))
	return 0
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

// next reads a field's key; ok is false at the end or on an error.
func (d *decoder) next() (num, wire int, ok bool) {
	if len(d.b) == 0 || d.err != nil {
		return 0, 0, false
	}
	k := d.uvarint()
	if d.err != nil {
		return 0, 0, false
	}
	if k>>3 == 0 || k>>3 > math.MaxInt32>>2 {
		d.fail(fmt.Errorf("invalid field number %d", k>>3))
		return 0, 0, false
	}
	return int(k >> 3), int(k & 7), true
}

func (d *decoder) varint() uint64 { return d.uvarint() }

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errTruncated)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// skip passes over a field berth does not read (proto2 keeps unknown
// fields; berth has no use for them).
func (d *decoder) skip(num, wire int) {
	switch wire {
	case wireVarint:
		d.uvarint()
	case wireI64:
		d.fixed(8)
	case wireBytes:
		d.bytes()
	case wireI32:
		d.fixed(4)
	case wireStartGroup:
		// a group (deprecated, none in rpc.proto): its fields up to the
		// end-group key of the same number
		for {
			n, w, ok := d.next()
			if !ok {
				d.fail(errTruncated)
				return
			}
			if w == wireEndGroup {
				if n != num {
					d.fail(fmt.Errorf("end of group %d inside group %d", n, num))
				}
				return
			}
			d.skip(n, w)
		}
	default:
		d.fail(fmt.Errorf("unexpected wire type %d", wire))
	}
}

func (d *decoder) fixed(n int) {
	if len(d.b) < n {
		d.fail(errTruncated)
		return
	}
	d.b = d.b[n:]
}

// field reads a field's value into set when its wire type is want; a
// field of another wire type is skipped as unknown, as the generated
// decoder does.
func (d *decoder) field(num, wire, want int, set func()) {
	if wire != want {
		d.skip(num, wire)
		return
	}
	set()
}

func (d *decoder) int32p(num, wire int, p **int32) {
	d.field(num, wire, wireVarint, func() {
		v := int32(d.varint())
		*p = &v
	})
}

func (d *decoder) boolp(num, wire int, p **bool) {
	d.field(num, wire, wireVarint, func() {
		v := d.varint() != 0
		*p = &v
	})
}

func (d *decoder) strp(num, wire int, p **string) {
	d.field(num, wire, wireBytes, func() {
		v := string(d.bytes())
		*p = &v
	})
}

// sub decodes a nested message with fn.
func (d *decoder) sub(num, wire int, fn func(*decoder)) {
	d.field(num, wire, wireBytes, func() {
		b := d.bytes()
		if d.err != nil {
			return
		}
		s := decoder{b: b}
		fn(&s)
		if s.err != nil {
			d.fail(s.err)
		}
	})
}

// Unmarshal decodes an answer of `criu swrk`. A field seen twice keeps the
// last value; nested messages seen twice are merged, as the generated
// decoder does.
func Unmarshal(b []byte, r *CriuResp) error {
	*r = CriuResp{}
	d := decoder{b: b}
	// criu_version (10) is not read, but its required fields are checked
	// as the generated decoder checks them.
	var version, major, minor bool
	for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
		switch num {
		case 1:
			d.field(num, wire, wireVarint, func() {
				v := CriuReqType(int32(d.varint()))
				r.Type = &v
			})
		case 2:
			d.boolp(num, wire, &r.Success)
		case 3:
			d.sub(num, wire, func(d *decoder) {
				if r.Dump == nil {
					r.Dump = &CriuDumpResp{}
				}
				for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
					if num == 1 {
						d.boolp(num, wire, &r.Dump.Restored)
					} else {
						d.skip(num, wire)
					}
				}
			})
		case 4:
			d.sub(num, wire, func(d *decoder) {
				if r.Restore == nil {
					r.Restore = &CriuRestoreResp{}
				}
				for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
					if num == 1 {
						d.int32p(num, wire, &r.Restore.Pid)
					} else {
						d.skip(num, wire)
					}
				}
			})
		case 5:
			d.sub(num, wire, func(d *decoder) {
				if r.Notify == nil {
					r.Notify = &CriuNotify{}
				}
				for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
					switch num {
					case 1:
						d.strp(num, wire, &r.Notify.Script)
					case 2:
						d.int32p(num, wire, &r.Notify.Pid)
					default:
						d.skip(num, wire)
					}
				}
			})
		case 7:
			d.int32p(num, wire, &r.CrErrno)
		case 9:
			d.strp(num, wire, &r.CrErrmsg)
		case 10:
			d.sub(num, wire, func(d *decoder) {
				version = true
				for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
					major = major || num == 1 && wire == wireVarint
					minor = minor || num == 2 && wire == wireVarint
					d.skip(num, wire)
				}
			})
		case 6, 8:
			// criu_page_server_info, criu_features: not read, but, as
			// the generated decoder parses them, malformed is an error
			d.sub(num, wire, func(d *decoder) {
				for num, wire, ok := d.next(); ok; num, wire, ok = d.next() {
					d.skip(num, wire)
				}
			})
		case 11:
			d.int32p(num, wire, &r.Status)
		default:
			d.skip(num, wire)
		}
	}
	if d.err != nil {
		return fmt.Errorf("criu_resp: %w", d.err)
	}
	switch {
	case r.Type == nil:
		return fmt.Errorf("criu_resp.type: %w", ErrRequired)
	case r.Success == nil:
		return fmt.Errorf("criu_resp.success: %w", ErrRequired)
	case r.Restore != nil && r.Restore.Pid == nil:
		return fmt.Errorf("criu_resp.restore.pid: %w", ErrRequired)
	case version && (!major || !minor):
		return fmt.Errorf("criu_resp.version: %w", ErrRequired)
	}
	return nil
}
