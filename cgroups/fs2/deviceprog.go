package fs2

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// deviceProgram compiles p to a BPF_PROG_TYPE_CGROUP_DEVICE program. It
// returns 1 to allow the access the kernel asks about, 0 to deny it.
//
// Registers, loaded from struct bpf_cgroup_dev_ctx { u32 access_type;
// u32 major; u32 minor; } at R1:
//
//	R2 = access_type & 0xffff   device type (BPF_DEVCG_DEV_*)
//	R3 = access_type >> 16      requested accesses not decided yet (BPF_DEVCG_ACC_*)
//	R4 = major, R5 = minor
//
// The rules are checked from the last to the first, so the first match
// found is the last in the configuration. A matching allow rule clears the
// accesses it grants from R3 and allows once none is left; a matching deny
// rule denies if it covers one of the accesses still in R3 (those that a
// later allow rule granted are no longer there). When no rule decides, the
// default does. Each rule is a block that jumps to the next on a mismatch:
//
//	rule-i:  if R2 != type  goto rule-(i-1)
//	         if R4 != major goto rule-(i-1)      (absent for any major)
//	         if R5 != minor goto rule-(i-1)      (absent for any minor)
//	allow:   R3 &= ^access; if R3 != 0 goto rule-(i-1); return 1
//	deny:    R1 = R3 & access; if R1 == 0 goto rule-(i-1); return 0
//
// with the access test left out when the rule has all of rwm.
func deviceProgram(p devicePolicy) []insn {
	prog := []insn{
		ldxw(r2, r1, 0),
		and32(r2, 0xffff),
		ldxw(r3, r1, 0),
		rsh32(r3, 16),
		ldxw(r4, r1, 4),
		ldxw(r5, r1, 8),
	}
	for i := len(p.rules) - 1; i >= 0; i-- {
		r := p.rules[i]
		next := blockName(i - 1)
		b := []insn{jne(r2, r.typ, next)}
		if r.major >= 0 {
			b = append(b, jne(r4, int32(r.major), next))
		}
		if r.minor >= 0 {
			b = append(b, jne(r5, int32(r.minor), next))
		}
		switch {
		case r.allow && r.access != accAll:
			b = append(b, and32(r3, ^r.access&accAll), jne(r3, 0, next))
		case !r.allow && r.access != accAll:
			b = append(b, mov32reg(r1, r3), and32(r1, r.access), jeq(r1, 0, next))
		}
		b = append(b, verdict(r.allow)...)
		b[0].label = blockName(i)
		prog = append(prog, b...)
	}
	def := verdict(p.defaultAllow)
	def[0].label = blockName(-1)
	return append(prog, def...)
}

func verdict(allow bool) []insn {
	v := int32(0)
	if allow {
		v = 1
	}
	return []insn{mov32imm(r0, v), exit()}
}

func blockName(i int) string {
	if i < 0 {
		return "default"
	}
	return "rule-" + strconv.Itoa(i)
}

// A tiny eBPF assembler for the instructions above (the kernel's
// Documentation/bpf/standardization/instruction-set.rst): each is 8
// bytes, opcode, dst and src registers in one byte, a 16-bit offset and
// a 32-bit immediate, in the machine's byte order. Jumps name the label
// of an instruction after them; assemble turns that into the offset.
// (cilium/ebpf's asm package would do, but it brings crypto, compression,
// DWARF and Go parser packages whose initialisation every berth command
// would pay for.)
type insn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
	label    string // the name of this instruction, for jumps to it
	target   string // a jump's label
}

const (
	r0 = iota
	r1
	r2
	r3
	r4
	r5
)

const (
	opLdxMemW  = 0x61 // BPF_LDX | BPF_MEM | BPF_W:   dst = *(u32 *)(src + off)
	opAnd32Imm = 0x54 // BPF_ALU | BPF_AND | BPF_K:   dst = (u32)dst & imm
	opRsh32Imm = 0x74 // BPF_ALU | BPF_RSH | BPF_K:   dst = (u32)dst >> imm
	opMov32Reg = 0xbc // BPF_ALU | BPF_MOV | BPF_X:   dst = (u32)src
	opMov32Imm = 0xb4 // BPF_ALU | BPF_MOV | BPF_K:   dst = (u32)imm
	opJneImm   = 0x55 // BPF_JMP | BPF_JNE | BPF_K:   if dst != imm goto +off
	opJeqImm   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K:   if dst == imm goto +off
	opExit     = 0x95 // BPF_JMP | BPF_EXIT:          return r0
)

func ldxw(dst, src uint8, off int16) insn { return insn{op: opLdxMemW, dst: dst, src: src, off: off} }
func and32(dst uint8, imm int32) insn     { return insn{op: opAnd32Imm, dst: dst, imm: imm} }
func rsh32(dst uint8, imm int32) insn     { return insn{op: opRsh32Imm, dst: dst, imm: imm} }
func mov32reg(dst, src uint8) insn        { return insn{op: opMov32Reg, dst: dst, src: src} }
func mov32imm(dst uint8, imm int32) insn  { return insn{op: opMov32Imm, dst: dst, imm: imm} }
func exit() insn                          { return insn{op: opExit} }

// jne and jeq compare all 64 bits of dst with imm sign-extended: the
// values compared here are zero-extended u32 loads, and the immediates
// are below 2^31 (device numbers have 12 and 20 bits).
func jne(dst uint8, imm int32, target string) insn {
	return insn{op: opJneImm, dst: dst, imm: imm, target: target}
}

func jeq(dst uint8, imm int32, target string) insn {
	return insn{op: opJeqImm, dst: dst, imm: imm, target: target}
}

var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// assemble resolves the jumps and encodes prog for the kernel.
func assemble(prog []insn) ([]byte, error) {
	at := map[string]int{}
	for i, in := range prog {
		if in.label != "" {
			at[in.label] = i
		}
	}
	out := make([]byte, 0, 8*len(prog))
	for i, in := range prog {
		if in.target != "" {
			t, ok := at[in.target]
			if !ok || t <= i || t-i-1 > 1<<15-1 {
				return nil, fmt.Errorf("instruction %d: bad jump to %q", i, in.target)
			}
			in.off = int16(t - i - 1)
		}
		regs := in.dst&0xf | in.src<<4
		if bigEndian {
			regs = in.src&0xf | in.dst<<4 // struct bpf_insn's bitfields
		}
		out = append(out, in.op, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(in.off))
		out = binary.NativeEndian.AppendUint32(out, uint32(in.imm))
	}
	return out, nil
}
