package fs2

import (
	"strconv"

	"github.com/cilium/ebpf/asm"
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
//	rule-i:  if R2 != type  goto rule-(i-1)      (absent for any type)
//	         if R4 != major goto rule-(i-1)      (absent for any major)
//	         if R5 != minor goto rule-(i-1)      (absent for any minor)
//	allow:   R3 &= ^access; if R3 != 0 goto rule-(i-1); return 1
//	deny:    R1 = R3 & access; if R1 == 0 goto rule-(i-1); return 0
//
// with the access test left out when the rule has all of rwm.
func deviceProgram(p devicePolicy) asm.Instructions {
	insts := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xffff),
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	for i := len(p.rules) - 1; i >= 0; i-- {
		r := p.rules[i]
		next := blockName(i - 1)
		var b asm.Instructions
		b = append(b, asm.JNE.Imm(asm.R2, r.typ, next))
		if r.major >= 0 {
			b = append(b, asm.JNE.Imm(asm.R4, int32(r.major), next))
		}
		if r.minor >= 0 {
			b = append(b, asm.JNE.Imm(asm.R5, int32(r.minor), next))
		}
		switch {
		case r.allow && r.access != accAll:
			b = append(b,
				asm.And.Imm32(asm.R3, ^r.access&accAll),
				asm.JNE.Imm(asm.R3, 0, next))
		case !r.allow && r.access != accAll:
			b = append(b,
				asm.Mov.Reg32(asm.R1, asm.R3),
				asm.And.Imm32(asm.R1, r.access),
				asm.JEq.Imm(asm.R1, 0, next))
		}
		b = append(b, verdict(r.allow)...)
		b[0] = b[0].WithSymbol(blockName(i))
		insts = append(insts, b...)
	}
	def := verdict(p.defaultAllow)
	def[0] = def[0].WithSymbol(blockName(-1))
	return append(insts, def...)
}

func verdict(allow bool) asm.Instructions {
	v := int32(0)
	if allow {
		v = 1
	}
	return asm.Instructions{asm.Mov.Imm32(asm.R0, v), asm.Return()}
}

func blockName(i int) string {
	if i < 0 {
		return "default"
	}
	return "rule-" + strconv.Itoa(i)
}
