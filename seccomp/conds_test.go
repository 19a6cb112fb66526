package seccomp

import (
	"math/rand"
	"strings"
	"testing"
)

// holds evaluates one condition the way the kernel filter does.
func (c cond) holds(v uint64) bool {
	switch c.op {
	case opNE:
		return v != c.value
	case opLT:
		return v < c.value
	case opLE:
		return v <= c.value
	case opEQ:
		return v == c.value
	case opGE:
		return v >= c.value
	case opGT:
		return v > c.value
	case opMaskedEQ:
		return v&c.value == c.value2
	}
	panic("bad op")
}

// samples are the values the property tests try: all small ones and the
// edges of the 32- and 64-bit ranges.
var samples = func() []uint64 {
	var out []uint64
	for v := uint64(0); v < 600; v++ {
		out = append(out, v)
	}
	for _, base := range []uint64{1 << 31, 1 << 32, 1 << 63, maxU64} {
		for d := uint64(0); d < 4; d++ {
			out = append(out, base-d, base+d)
		}
	}
	return out
}()

// checkRules checks that the rules built from conds match exactly the
// sample values that satisfy every condition, and that no rule compares
// an argument twice.
func checkRules(t *testing.T, conds []cond) {
	t.Helper()
	rs, err := rules("args", conds)
	if err != nil {
		if strings.Contains(err.Error(), "never") {
			for _, v := range samples {
				if allHold(conds, v) {
					t.Fatalf("%v: refused as never holding, but %#x satisfies it", conds, v)
				}
			}
			return
		}
		t.Fatalf("%v: %v", conds, err)
	}
	for _, r := range rs {
		seen := map[uint]bool{}
		for _, c := range r {
			if seen[c.arg] {
				t.Fatalf("%v: rule %v compares argument %d twice", conds, r, c.arg)
			}
			seen[c.arg] = true
		}
	}
	// One argument at a time: give the others values that satisfy
	// their conditions is not possible in general, so test with all
	// conditions on argument 0, and separately the product below.
	for _, v := range samples {
		want := allHold(conds, v)
		got := false
		for _, r := range rs {
			if allHold(r, v) {
				got = true
				break
			}
		}
		if got != want {
			t.Fatalf("%v: value %#x: rules %v say %v, the conditions %v", conds, v, rs, got, want)
		}
	}
}

func allHold(conds []cond, v uint64) bool {
	for _, c := range conds {
		if !c.holds(v) {
			return false
		}
	}
	return true
}

func TestRulesOneArgument(t *testing.T) {
	c := func(o op, v ...uint64) cond {
		cc := cond{op: o, value: v[0]}
		if len(v) > 1 {
			cc.value2 = v[1]
		}
		return cc
	}
	cases := [][]cond{
		{c(opEQ, 5)},
		{c(opNE, 1), c(opNE, 2)},                   // every family but two
		{c(opGE, 0o100), c(opLE, 0o200)},           // a middle range
		{c(opGT, 3), c(opLT, 300), c(opNE, 100)},   // a range with a hole
		{c(opNE, 0), c(opNE, maxU64)},              // holes at both ends
		{c(opNE, 7), c(opNE, 7)},                   // the same hole twice
		{c(opEQ, 5), c(opEQ, 5)},                   // a repeated equality
		{c(opMaskedEQ, 0xf0, 0x10), c(opLE, 0x40)}, // a mask within a range
		{c(opMaskedEQ, 0xf0, 0x10), c(opMaskedEQ, 0x0f, 0x02)},
		{c(opMaskedEQ, 0xff, 0x10), c(opNE, 0x10)}, // the mask leaves 0x10 only
		{c(opGE, 1<<32), c(opLE, maxU64-1)},        // wide range, many blocks
		{c(opGE, 0), c(opLE, maxU64)},              // everything
		{c(opLT, 10), c(opLE, 20)},                 // collapses to one comparison
		{c(opGT, 10), c(opGE, 5)},
	}
	for _, conds := range cases {
		checkRules(t, conds)
	}
}

func TestRulesRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	values := []uint64{0, 1, 2, 3, 7, 8, 15, 16, 64, 100, 255, 256, 511, maxU64, maxU64 - 1, 1 << 32}
	pick := func() uint64 { return values[r.Intn(len(values))] }
	for i := 0; i < 3000; i++ {
		n := 2 + r.Intn(3)
		var conds []cond
		for k := 0; k < n; k++ {
			o := op(1 + r.Intn(7))
			cc := cond{pos: k, op: o, value: pick()}
			if o == opMaskedEQ {
				cc.value2 = pick() & cc.value
				if r.Intn(10) == 0 {
					cc.value2 = pick()
				}
			}
			conds = append(conds, cc)
		}
		checkRules(t, conds)
	}
}

func TestRulesSeveralArguments(t *testing.T) {
	// socket: family neither AF_UNIX nor AF_INET, and type SOCK_DGRAM.
	conds := []cond{
		{pos: 0, arg: 0, op: opNE, value: 1},
		{pos: 1, arg: 0, op: opNE, value: 2},
		{pos: 2, arg: 1, op: opEQ, value: 2},
	}
	rs, err := rules("args", conds)
	if err != nil {
		t.Fatal(err)
	}
	match := func(a0, a1 uint64) bool {
		for _, r := range rs {
			ok := true
			for _, c := range r {
				v := a0
				if c.arg == 1 {
					v = a1
				}
				ok = ok && c.holds(v)
			}
			if ok {
				return true
			}
		}
		return false
	}
	for a0 := uint64(0); a0 < 50; a0++ {
		for a1 := uint64(0); a1 < 6; a1++ {
			want := a0 != 1 && a0 != 2 && a1 == 2
			if got := match(a0, a1); got != want {
				t.Fatalf("socket(%d, %d): rules %v match %v, want %v", a0, a1, rs, got, want)
			}
		}
	}
}

func TestRulesNoConditions(t *testing.T) {
	rs, err := rules("args", nil)
	if err != nil || len(rs) != 1 || len(rs[0]) != 0 {
		t.Fatalf("rules(nil) = %v, %v; want one unconditional rule", rs, err)
	}
}

func TestRulesKeepsASingleCondition(t *testing.T) {
	c := cond{arg: 2, op: opMaskedEQ, value: 0x7e020000, value2: 0}
	rs, err := rules("args", []cond{c})
	if err != nil || len(rs) != 1 || len(rs[0]) != 1 || rs[0][0] != c {
		t.Fatalf("rules = %v, %v; want the condition as given", rs, err)
	}
}

func TestRulesNever(t *testing.T) {
	cases := []struct {
		conds []cond
		field string
		msg   string
	}{
		{
			[]cond{{pos: 0, op: opEQ, value: 0}, {pos: 1, op: opEQ, value: 8}},
			"linux.seccomp.syscalls[2].args",
			"args[0], args[1] compare argument 0 in ways that can never all hold",
		},
		{
			[]cond{{pos: 3, arg: 1, op: opLT, value: 0}},
			"linux.seccomp.syscalls[2].args[3]",
			"SCMP_CMP_LT 0x0 on argument 1 can never hold",
		},
		{
			[]cond{{pos: 0, op: opMaskedEQ, value: 0xf0, value2: 0x01}},
			"linux.seccomp.syscalls[2].args[0]",
			"can never hold",
		},
	}
	for _, tc := range cases {
		_, err := rules("linux.seccomp.syscalls[2].args", tc.conds)
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: got %v, want %s: ...%s...", tc.conds, err, tc.field, tc.msg)
		}
	}
}

func TestBlocksCoverExactly(t *testing.T) {
	for _, iv := range []interval{{0, 0}, {1, 1}, {3, 17}, {0, 255}, {5, maxU64}, {0, maxU64}, {1 << 40, 1<<40 + 12345}} {
		bs := blocks(iv)
		if len(bs) > 128 {
			t.Errorf("%v: %d blocks", iv, len(bs))
		}
		next := iv.lo
		for i, b := range bs {
			if b.datum != next {
				t.Fatalf("%v: block %d starts at %#x, want %#x", iv, i, b.datum, next)
			}
			next = (b.datum | ^b.mask) + 1
		}
		if last := bs[len(bs)-1]; last.datum|^last.mask != iv.hi {
			t.Fatalf("%v: blocks end at %#x", iv, last.datum|^last.mask)
		}
	}
}
