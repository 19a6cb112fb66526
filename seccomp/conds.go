package seccomp

import (
	"fmt"
	"slices"
	"strings"
)

// cond is one entry of syscalls[].args, checked. For opMaskedEQ, value is
// the mask and value2 the datum, the order libseccomp's SCMP_CMP_MASKED_EQ
// takes them in ((arg & value) == value2); the other operators compare
// against value alone.
type cond struct {
	pos    int // index in syscalls[].args, for errors
	arg    uint
	op     op
	value  uint64
	value2 uint64
}

const maxU64 = ^uint64(0)

// maxRules bounds the libseccomp rules one syscalls[] entry may expand to,
// so that a pathological set of conditions cannot grow the filter past the
// kernel's limit of 4096 BPF instructions.
const maxRules = 256

// rules turns the conditions of one syscalls[] entry, whose args field is
// field, into libseccomp rules
// that each compare an argument at most once, and whose union matches
// exactly the calls that satisfy every condition. No condition gives one
// rule without conditions.
//
// Why: runtime-spec defines no combining rule of its own for args; it
// hands the operators to libseccomp (config-linux.md "Seccomp": they "match
// the definitions in seccomp.h from libseccomp and are translated"), and a
// libseccomp rule matches when all of its comparisons are true
// (seccomp_rule_add(3)). libseccomp refuses two comparisons of the same
// argument in one rule, so the conditions on a repeated argument are solved
// here into a union of single comparisons, one rule each. runc instead ORs
// every condition of the entry as soon as an index repeats, a compatibility
// behaviour its maintainers call wrong (opencontainers/runc#2735). A set
// that can never hold, such as arg0 == 1 and arg0 == 2 (what a profile
// written for runc's OR reading contains), is refused rather than
// silently never matching.
func rules(field string, conds []cond) ([][]cond, error) {
	var args []uint
	byArg := map[uint][]cond{}
	for _, c := range conds {
		if _, ok := byArg[c.arg]; !ok {
			args = append(args, c.arg)
		}
		byArg[c.arg] = append(byArg[c.arg], c)
	}
	out := [][]cond{nil}
	for _, arg := range args {
		cs := byArg[arg]
		alts, err := alternatives(cs)
		if err != nil {
			return nil, &FieldError{Field: field, Err: err}
		}
		if len(alts) == 0 {
			return nil, neverErr(field, cs)
		}
		var next [][]cond
		for _, r := range out {
			for _, a := range alts {
				nr := slices.Clone(r)
				if a != nil {
					nr = append(nr, *a)
				}
				next = append(next, nr)
			}
		}
		if len(next) > maxRules {
			return nil, fieldErr(field, "the conditions need %d libseccomp rules, more than the %d berth allows for one entry", len(next), maxRules)
		}
		out = next
	}
	return out, nil
}

// neverErr reports conditions on one argument that no value satisfies.
func neverErr(field string, cs []cond) error {
	if len(cs) == 1 {
		return fieldErr(idx(field, cs[0].pos), "%s %#x on argument %d can never hold", cs[0].op, cs[0].value, cs[0].arg)
	}
	var pos []string
	for _, c := range cs {
		pos = append(pos, idx("args", c.pos))
	}
	return fieldErr(field, "%s compare argument %d in ways that can never all hold: berth ANDs the conditions of an entry, as libseccomp does (runc ORs conditions on a repeated argument); write one syscalls entry per alternative", strings.Join(pos, ", "), cs[0].arg)
}

// interval is the closed range [lo, hi].
type interval struct{ lo, hi uint64 }

// alternatives returns single comparisons of one argument whose union is
// the set of values satisfying every condition in cs (all on that
// argument). A nil element stands for no comparison: every value
// qualifies. An empty result means that no value qualifies. A single
// condition comes back unchanged, so that it reaches libseccomp as written.
func alternatives(cs []cond) ([]*cond, error) {
	arg := cs[0].arg
	// The order operators narrow an interval, != punches holes in it and
	// masked equalities merge into one (mask, datum) pair.
	lo, hi := uint64(0), maxU64
	var mask, datum uint64
	var holes []uint64
	empty := false
	for _, c := range cs {
		switch c.op {
		case opEQ:
			lo, hi = max(lo, c.value), min(hi, c.value)
		case opNE:
			holes = append(holes, c.value)
		case opLT:
			if c.value == 0 {
				empty = true
			}
			hi = min(hi, c.value-1)
		case opLE:
			hi = min(hi, c.value)
		case opGT:
			if c.value == maxU64 {
				empty = true
			}
			lo = max(lo, c.value+1)
		case opGE:
			lo = max(lo, c.value)
		case opMaskedEQ:
			m, d := c.value, c.value2
			// A datum bit outside the mask, or a bit two masks
			// share but want different, can never match.
			if d&^m != 0 || (d^datum)&m&mask != 0 {
				empty = true
			}
			mask, datum = mask|m, datum|d
		}
	}
	if empty || lo > hi {
		return nil, nil
	}
	if len(cs) == 1 {
		return []*cond{&cs[0]}, nil
	}
	ivs := punch(interval{lo, hi}, holes)
	var out []*cond
	if mask == 0 && len(ivs) == 2 && ivs[0].lo == 0 && ivs[1].hi == maxU64 && ivs[1].lo-ivs[0].hi == 2 {
		return []*cond{{arg: arg, op: opNE, value: ivs[0].hi + 1}}, nil
	}
	for _, iv := range ivs {
		switch {
		case mask == 0 && iv.lo == 0 && iv.hi == maxU64:
			out = append(out, nil)
		case mask == 0 && iv.lo == iv.hi:
			out = append(out, &cond{arg: arg, op: opEQ, value: iv.lo})
		case mask == 0 && iv.lo == 0:
			out = append(out, &cond{arg: arg, op: opLE, value: iv.hi})
		case mask == 0 && iv.hi == maxU64:
			out = append(out, &cond{arg: arg, op: opGE, value: iv.lo})
		default:
			// A middle range, or any range with a masked
			// equality, needs two comparisons of the argument:
			// cover it with aligned blocks instead, each one
			// masked equality, and merge the mask into each.
			for _, b := range blocks(iv) {
				if (b.datum^datum)&b.mask&mask != 0 {
					continue
				}
				m, d := b.mask|mask, b.datum|datum
				if m == maxU64 {
					out = append(out, &cond{arg: arg, op: opEQ, value: d})
				} else {
					out = append(out, &cond{arg: arg, op: opMaskedEQ, value: m, value2: d})
				}
			}
		}
		if len(out) > maxRules {
			return nil, fmt.Errorf("the conditions on argument %d need more than %d libseccomp rules", arg, maxRules)
		}
	}
	return out, nil
}

// punch removes the holes from iv and returns what is left, in order.
func punch(iv interval, holes []uint64) []interval {
	slices.Sort(holes)
	var out []interval
	cur := iv.lo
	for _, h := range holes {
		if h < cur || h > iv.hi {
			continue
		}
		if h > cur {
			out = append(out, interval{cur, h - 1})
		}
		if h == iv.hi {
			return out
		}
		cur = h + 1
	}
	return append(out, interval{cur, iv.hi})
}

// block is the set of values v with v&mask == datum, where mask keeps the
// high bits above an aligned power-of-two range.
type block struct{ mask, datum uint64 }

// blocks covers iv exactly with the fewest aligned power-of-two blocks
// (at most 128), the way a range of addresses splits into CIDR prefixes.
func blocks(iv interval) []block {
	var out []block
	lo := iv.lo
	for {
		// Grow the block while lo stays aligned to it and it stays
		// inside the interval.
		k := uint(0)
		for k < 63 {
			size := uint64(1) << (k + 1)
			if lo&(size-1) != 0 || iv.hi-lo < size-1 {
				break
			}
			k++
		}
		mask := ^(uint64(1)<<k - 1)
		if k == 63 && lo == 0 && iv.hi == maxU64 {
			mask = 0
		}
		out = append(out, block{mask, lo})
		end := lo | ^mask
		if end >= iv.hi {
			return out
		}
		lo = end + 1
	}
}
