// Package plan encodes what the C stage of berth's init executes: a flat,
// typed list of steps that the parent (Go) compiles from the validated
// config. Go decides, C executes: the C side (nsenter/plan.c) parses no
// JSON and makes no policy; each step says what to do, with the values to
// do it with and the config field it comes from, so that an error raised
// in C names that field as a Go error would.
//
// Wire format, little-endian (parent and stage run on the same machine,
// but a fixed order keeps the decoder and its tests simple):
//
//	plan  := magic "BPL1" step*
//	step  := op u16 | field length u16 | data length u32 | field | data
//	data  := item*
//	item  := 'u' u64                       an integer
//	       | 's' length u32 | bytes | NUL   a string (length counts the NUL)
//	       | 'b' length u32 | bytes         raw bytes (a BPF program)
//
// Every item is tagged, so the decoder checks the type of each value as
// well as its bounds; a step's data must be consumed exactly.
package plan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Magic starts every plan; the digit is the format's version.
const Magic = "BPL1"

// MaxSize bounds a plan (the stage refuses a larger one): the environment
// and arguments of a process are at most a few MiB (ARG_MAX).
const MaxSize = 16 << 20

// MaxField bounds a step's field name, which names a config field in
// errors: the stage keeps it in a 256-byte buffer, NUL-terminated, so a
// longer one, or one with a NUL byte, is refused by both decoders.
const MaxField = 255

const (
	tagU64   = 'u'
	tagStr   = 's'
	tagBytes = 'b'
)

// Plan is an encoded plan, built step by step.
type Plan struct {
	buf []byte
	err error
}

// New starts an empty plan.
func New() *Plan {
	return &Plan{buf: []byte(Magic)}
}

// Item is one value of a step.
type Item interface{ put([]byte) []byte }

type (
	u64 uint64
	str string
	raw []byte
)

func (v u64) put(b []byte) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tagU64), uint64(v))
}

func (v str) put(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(append(b, tagStr), uint32(len(v)+1))
	return append(append(b, v...), 0)
}

func (v raw) put(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(append(b, tagBytes), uint32(len(v)))
	return append(b, v...)
}

// U is an unsigned integer item.
func U(v uint64) Item { return u64(v) }

// I is a signed integer item (two's complement in the u64).
func I(v int64) Item { return u64(uint64(v)) }

// B is a boolean item (1 or 0).
func B(v bool) Item {
	if v {
		return u64(1)
	}
	return u64(0)
}

// S is a string item. The C side gets it NUL-terminated, so a string
// with a NUL in it is refused.
func S(v string) Item { return str(v) }

// Raw is a bytes item.
func Raw(v []byte) Item { return raw(v) }

// Add appends a step. Errors (a field or step too large, a string with a
// NUL) are kept and returned by Bytes.
func (p *Plan) Add(op Op, field string, items ...Item) {
	if p.err != nil {
		return
	}
	var data []byte
	for _, it := range items {
		if s, ok := it.(str); ok && strings.IndexByte(string(s), 0) >= 0 {
			p.err = fmt.Errorf("%s: a NUL byte in %q", field, string(s))
			return
		}
		data = it.put(data)
	}
	if len(field) > MaxField || strings.IndexByte(field, 0) >= 0 {
		p.err = fmt.Errorf("plan: field name %q: more than %d bytes, or a NUL byte", field, MaxField)
		return
	}
	if len(p.buf)+8+len(field)+len(data) > MaxSize {
		p.err = fmt.Errorf("%s: the process's settings are larger than %d bytes", field, MaxSize)
		return
	}
	p.buf = binary.LittleEndian.AppendUint16(p.buf, uint16(op))
	p.buf = binary.LittleEndian.AppendUint16(p.buf, uint16(len(field)))
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(data)))
	p.buf = append(append(p.buf, field...), data...)
}

// Bytes returns the encoded plan, or the first error of Add.
func (p *Plan) Bytes() ([]byte, error) {
	return p.buf, p.err
}

// Step is a decoded step, for tests and for --debug.
type Step struct {
	Op    Op
	Field string
	Items []any // uint64, string or []byte
}

// Decode parses an encoded plan, checking it as the C decoder does.
func Decode(b []byte) ([]Step, error) {
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return nil, errors.New("plan: bad magic")
	}
	if len(b) > MaxSize {
		return nil, errors.New("plan: too large")
	}
	b = b[len(Magic):]
	var steps []Step
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("plan: truncated step header")
		}
		op := Op(binary.LittleEndian.Uint16(b))
		fl := int(binary.LittleEndian.Uint16(b[2:]))
		dl := int(binary.LittleEndian.Uint32(b[4:]))
		b = b[8:]
		if fl > len(b) || dl > len(b)-fl {
			return nil, errors.New("plan: truncated step")
		}
		if fl > MaxField || bytes.IndexByte(b[:fl], 0) >= 0 {
			return nil, errors.New("plan: field name too long, or with a NUL byte")
		}
		st := Step{Op: op, Field: string(b[:fl])}
		data := b[fl : fl+dl]
		b = b[fl+dl:]
		for len(data) > 0 {
			switch data[0] {
			case tagU64:
				if len(data) < 9 {
					return nil, errors.New("plan: truncated integer")
				}
				st.Items = append(st.Items, binary.LittleEndian.Uint64(data[1:]))
				data = data[9:]
			case tagStr, tagBytes:
				if len(data) < 5 {
					return nil, errors.New("plan: truncated length")
				}
				n := int(binary.LittleEndian.Uint32(data[1:]))
				if n > len(data)-5 {
					return nil, errors.New("plan: truncated string")
				}
				v := data[5 : 5+n]
				if data[0] == tagStr {
					if n == 0 || v[n-1] != 0 {
						return nil, errors.New("plan: string without its NUL")
					}
					st.Items = append(st.Items, string(v[:n-1]))
				} else {
					st.Items = append(st.Items, append([]byte(nil), v...))
				}
				data = data[5+n:]
			default:
				return nil, fmt.Errorf("plan: unknown item tag %#x", data[0])
			}
		}
		steps = append(steps, st)
	}
	return steps, nil
}
