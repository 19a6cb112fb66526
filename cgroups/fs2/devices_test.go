package fs2

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The device program cannot be run by BPF_PROG_TEST_RUN (the kernel has
// none for cgroup device programs), so these tests run it in a small
// interpreter of the instructions deviceProgram emits, and compare its
// answers with a model that reads the rules as the documentation says:
// everything denied first, then each rule in order overriding earlier ones
// for the devices and accesses it names. The VM test checks the same
// program in a real kernel.

func rule(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major != -2 { // -2: field absent
		r.Major = &major
	}
	if minor != -2 {
		r.Minor = &minor
	}
	return r
}

// model says whether rules allow acc ("r", "rw", ...) on device typ
// major:minor, one access at a time, the last matching rule deciding.
func model(rules []specs.LinuxDeviceCgroup, typ byte, major, minor int64, acc string) bool {
	num := func(p *int64, v int64) bool { return p == nil || *p < 0 || *p == v }
	for _, bit := range acc {
		allowed := false
		for _, r := range rules {
			a := r.Access
			if a == "" {
				a = "rwm"
			}
			all := r.Type == "" || r.Type == "a"
			if all || (r.Type == string(typ) && num(r.Major, major) && num(r.Minor, minor) && strings.ContainsRune(a, bit)) {
				allowed = r.Allow
			}
		}
		if !allowed {
			return false
		}
	}
	return true
}

// run interprets the assembled program for one access, as the kernel
// would call it; it decodes the bytes by the kernel's instruction set, not
// by the assembler's tables.
func run(t *testing.T, prog []insn, typ byte, major, minor uint32, acc string) bool {
	t.Helper()
	code, err := assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	var access uint32
	for _, c := range acc {
		access |= map[rune]uint32{'r': accRead, 'w': accWrite, 'm': accMknod}[c]
	}
	devType := map[byte]uint32{'b': devBlock, 'c': devChar}[typ]
	ctx := [3]uint32{access<<16 | devType, major, minor}
	var reg [11]uint64
	r0set := false
	for pc := 0; ; pc++ {
		if pc*8 >= len(code) {
			t.Fatalf("ran off the end of the program")
		}
		ins := code[pc*8 : pc*8+8]
		op, dst, src := ins[0], ins[1]&0xf, ins[1]>>4
		if bigEndian {
			dst, src = src, dst
		}
		off := int16(binary.NativeEndian.Uint16(ins[2:]))
		imm := int32(binary.NativeEndian.Uint32(ins[4:]))
		jump := func(cond bool) {
			if off < 0 {
				t.Fatalf("backward jump at %d", pc)
			}
			if cond {
				pc += int(off)
			}
		}
		switch op {
		case 0x61: // r[dst] = *(u32 *)(r[src] + off), with r1 the context
			if src != 1 || off%4 != 0 || off > 8 {
				t.Fatalf("load from r%d%+d at %d", src, off, pc)
			}
			reg[dst] = uint64(ctx[off/4])
		case 0x54: // w[dst] &= imm
			reg[dst] = uint64(uint32(reg[dst]) & uint32(imm))
		case 0x74: // w[dst] >>= imm
			reg[dst] = uint64(uint32(reg[dst]) >> uint32(imm))
		case 0xbc: // w[dst] = w[src]
			reg[dst] = uint64(uint32(reg[src]))
		case 0xb4: // w[dst] = imm
			reg[dst] = uint64(uint32(imm))
			r0set = r0set || dst == 0
		case 0x55: // if r[dst] != imm goto +off
			jump(reg[dst] != uint64(int64(imm)))
		case 0x15: // if r[dst] == imm goto +off
			jump(reg[dst] == uint64(int64(imm)))
		case 0x95: // exit
			if !r0set {
				t.Fatalf("exit without r0 at %d", pc)
			}
			return reg[0] == 1
		default:
			t.Fatalf("opcode %#x at %d is not one the compiler should emit", op, pc)
		}
	}
}

func compile(t *testing.T, rules []specs.LinuxDeviceCgroup) []insn {
	t.Helper()
	p, err := compileDevices(rules)
	if err != nil {
		t.Fatal(err)
	}
	return deviceProgram(p)
}

var accesses = []string{"r", "w", "m", "rw", "rm", "wm", "rwm"}

// check compares program and model on every device and access of a grid
// that holds the numbers the rules use and others.
func check(t *testing.T, rules []specs.LinuxDeviceCgroup) {
	t.Helper()
	prog := compile(t, rules)
	majors := []int64{0, 1, 5, 8, 136, maxMajor}
	minors := []int64{0, 1, 3, 5, 7, maxMinor}
	for _, r := range rules {
		if r.Major != nil && *r.Major >= 0 && *r.Major <= maxMajor {
			majors = append(majors, *r.Major)
		}
		if r.Minor != nil && *r.Minor >= 0 && *r.Minor <= maxMinor {
			minors = append(minors, *r.Minor)
		}
	}
	for _, typ := range []byte{'b', 'c'} {
		for _, maj := range majors {
			for _, mnr := range minors {
				for _, acc := range accesses {
					want := model(rules, typ, maj, mnr, acc)
					if got := run(t, prog, typ, uint32(maj), uint32(mnr), acc); got != want {
						t.Fatalf("%c %d:%d %s: program says %v, rules say %v\nrules: %s\nprogram:\n%s",
							typ, maj, mnr, acc, got, want, showRules(rules), listing(prog))
					}
				}
			}
		}
	}
}

func showRules(rules []specs.LinuxDeviceCgroup) string {
	var b strings.Builder
	for _, r := range rules {
		n := func(p *int64) string {
			if p == nil {
				return "*"
			}
			return fmt.Sprint(*p)
		}
		fmt.Fprintf(&b, "[%v %q %s:%s %q] ", r.Allow, r.Type, n(r.Major), n(r.Minor), r.Access)
	}
	return b.String()
}

func TestDeviceProgramDecisions(t *testing.T) {
	type dev struct {
		typ          byte
		major, minor uint32
		acc          string
		allow        bool
	}
	dockerLike := []specs.LinuxDeviceCgroup{
		rule(false, "", -2, -2, "rwm"),
		rule(true, "c", 1, 3, "rwm"),
		rule(true, "c", 1, 5, "rwm"),
		rule(true, "c", 136, -1, "rwm"),
		rule(true, "c", -1, -1, "m"),
		rule(true, "b", -1, -1, "m"),
	}
	for _, c := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		devs  []dev
	}{
		{"docker-like defaults", dockerLike, []dev{
			{'c', 1, 3, "rw", true},
			{'c', 1, 5, "r", true},
			{'c', 1, 7, "r", false},
			{'c', 1, 7, "m", true},
			{'c', 136, 4, "rw", true},
			{'b', 8, 0, "r", false},
			{'b', 8, 0, "m", true},
			{'c', 1, 11, "w", false},
		}},
		{"a later deny narrows an allow", []specs.LinuxDeviceCgroup{
			rule(false, "a", -2, -2, ""), rule(true, "c", 1, 3, "rw"), rule(false, "c", 1, 3, "w"),
		}, []dev{
			{'c', 1, 3, "r", true}, {'c', 1, 3, "w", false}, {'c', 1, 3, "rw", false}, {'c', 1, 3, "m", false},
		}},
		{"a deny punches a hole in a wildcard allow", []specs.LinuxDeviceCgroup{
			rule(false, "a", -2, -2, "rwm"), rule(true, "c", -1, -1, "rwm"), rule(false, "c", 1, 3, "rwm"),
		}, []dev{
			{'c', 1, 3, "r", false}, {'c', 1, 5, "r", true}, {'b', 1, 3, "r", false},
		}},
		{"allow-all then deny one access", []specs.LinuxDeviceCgroup{
			rule(true, "a", -2, -2, "rwm"), rule(false, "c", 1, 3, "w"),
		}, []dev{
			{'c', 1, 3, "r", true}, {'c', 1, 3, "rw", false}, {'c', 1, 5, "w", true}, {'b', 8, 0, "rwm", true},
		}},
		{"a later allow overrides a deny", []specs.LinuxDeviceCgroup{
			rule(false, "c", 1, 3, "rwm"), rule(true, "c", 1, -1, "r"),
		}, []dev{
			{'c', 1, 3, "r", true}, {'c', 1, 3, "w", false}, {'c', 1, 9, "r", true},
		}},
		{"type a resets whatever its numbers and access", []specs.LinuxDeviceCgroup{
			rule(true, "c", 1, 3, "rwm"), rule(false, "a", 1, 3, "r"), rule(true, "c", 1, 5, "r"),
		}, []dev{
			{'c', 1, 3, "w", false}, {'c', 1, 5, "r", true}, {'c', 1, 5, "w", false}, {'b', 9, 9, "m", false},
		}},
		{"type a allowing only r still allows all", []specs.LinuxDeviceCgroup{
			rule(false, "", -2, -2, "rwm"), rule(true, "a", -2, -2, "r"),
		}, []dev{
			{'c', 1, 3, "rwm", true}, {'b', 8, 0, "w", true},
		}},
		{"no deny-all: still denied by default", []specs.LinuxDeviceCgroup{rule(true, "c", 1, 3, "rwm")}, []dev{
			{'c', 1, 3, "rw", true}, {'c', 1, 5, "r", false},
		}},
		{"numbers beyond the kernel's match nothing", []specs.LinuxDeviceCgroup{
			rule(true, "a", -2, -2, "rwm"), rule(false, "c", 1<<12, 3, "rwm"), rule(false, "c", 1, 1<<20, "rwm"),
		}, []dev{
			{'c', 0, 3, "r", true}, {'c', 1, 0, "r", true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog := compile(t, c.rules)
			for _, d := range c.devs {
				if got := run(t, prog, d.typ, d.major, d.minor, d.acc); got != d.allow {
					t.Errorf("%c %d:%d %s: allowed %v, want %v", d.typ, d.major, d.minor, d.acc, got, d.allow)
				}
				if m := model(c.rules, d.typ, int64(d.major), int64(d.minor), d.acc); m != d.allow {
					t.Errorf("model disagrees on %c %d:%d %s", d.typ, d.major, d.minor, d.acc)
				}
			}
			check(t, c.rules)
		})
	}
}

// TestDeviceProgramRandom compares program and model on random rule lists.
func TestDeviceProgramRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1)) //nolint:gosec // a fixed seed: the same programs every run
	pick := func(xs []int64) int64 { return xs[rng.Intn(len(xs))] }
	types := []string{"", "a", "b", "c", "c", "c", "b"}
	accs := []string{"", "r", "w", "m", "rw", "rm", "wm", "rwm", "mr"}
	for i := 0; i < 400; i++ {
		var rules []specs.LinuxDeviceCgroup
		for n := rng.Intn(9); n > 0; n-- {
			rules = append(rules, rule(rng.Intn(2) == 0, types[rng.Intn(len(types))],
				pick([]int64{-2, -1, 1, 5, 8}), pick([]int64{-2, -1, 3, 5, 0}), accs[rng.Intn(len(accs))]))
		}
		check(t, rules)
	}
}

// listing shows a program one instruction a line, as the comment of
// deviceProgram writes it.
func listing(prog []insn) string {
	reg := func(r uint8) string { return fmt.Sprintf("R%d", r) }
	var b strings.Builder
	for _, in := range prog {
		if in.label != "" {
			b.WriteString(in.label + ":\n")
		}
		b.WriteString("\t")
		switch in.op {
		case opLdxMemW:
			fmt.Fprintf(&b, "%s = *(u32 *)(%s + %d)", reg(in.dst), reg(in.src), in.off)
		case opAnd32Imm:
			fmt.Fprintf(&b, "%s &= %#x", reg(in.dst), in.imm)
		case opRsh32Imm:
			fmt.Fprintf(&b, "%s >>= %d", reg(in.dst), in.imm)
		case opMov32Reg:
			fmt.Fprintf(&b, "%s = %s", reg(in.dst), reg(in.src))
		case opMov32Imm:
			fmt.Fprintf(&b, "%s = %d", reg(in.dst), in.imm)
		case opJneImm:
			fmt.Fprintf(&b, "if %s != %d goto %s", reg(in.dst), in.imm, in.target)
		case opJeqImm:
			fmt.Fprintf(&b, "if %s == %d goto %s", reg(in.dst), in.imm, in.target)
		case opExit:
			b.WriteString("exit")
		default:
			fmt.Fprintf(&b, "op %#x", in.op)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestDeviceProgramGolden(t *testing.T) {
	prog := compile(t, []specs.LinuxDeviceCgroup{
		rule(false, "a", -2, -2, "rwm"),
		rule(true, "c", 1, 3, "rwm"),
		rule(true, "c", -1, -1, "m"),
		rule(false, "c", 5, -1, "w"),
	})
	want := `	R2 = *(u32 *)(R1 + 0)
	R2 &= 0xffff
	R3 = *(u32 *)(R1 + 0)
	R3 >>= 16
	R4 = *(u32 *)(R1 + 4)
	R5 = *(u32 *)(R1 + 8)
rule-2:
	if R2 != 2 goto rule-1
	if R4 != 5 goto rule-1
	R1 = R3
	R1 &= 0x4
	if R1 == 0 goto rule-1
	R0 = 0
	exit
rule-1:
	if R2 != 2 goto rule-0
	R3 &= 0x6
	if R3 != 0 goto rule-0
	R0 = 1
	exit
rule-0:
	if R2 != 2 goto default
	if R4 != 1 goto default
	if R5 != 3 goto default
	R0 = 1
	exit
default:
	R0 = 0
	exit
`
	if got := listing(prog); got != want {
		t.Errorf("program:\n%s\nwant:\n%s", got, want)
	}
	// The encoding of a few instructions, as the kernel reads them.
	code, err := assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	le := func(i int) string { return fmt.Sprintf("% x", code[8*i:8*i+8]) }
	if !bigEndian {
		for i, want := range map[int]string{
			0:  "61 12 00 00 00 00 00 00", // r2 = *(u32 *)(r1 + 0)
			4:  "61 14 04 00 00 00 00 00", // r4 = *(u32 *)(r1 + 4)
			6:  "55 02 06 00 02 00 00 00", // if r2 != 2 goto +6 (rule-1 at 13)
			8:  "bc 31 00 00 00 00 00 00", // r1 = r3
			10: "15 01 02 00 00 00 00 00", // if r1 == 0 goto +2
			12: "95 00 00 00 00 00 00 00", // exit
			23: "b4 00 00 00 00 00 00 00", // r0 = 0
		} {
			if got := le(i); got != want {
				t.Errorf("instruction %d: % s, want %s", i, got, want)
			}
		}
	}
}

func TestAssembleBadJump(t *testing.T) {
	for _, prog := range [][]insn{
		{jne(r1, 0, "nowhere"), exit()},
		{func() insn { i := exit(); i.label = "back"; return i }(), jne(r1, 0, "back")},
	} {
		if _, err := assemble(prog); err == nil {
			t.Errorf("%v: no error", prog)
		}
	}
}

func TestCompileDevicesErrors(t *testing.T) {
	for _, c := range []struct {
		rules []specs.LinuxDeviceCgroup
		err   string
	}{
		{
			[]specs.LinuxDeviceCgroup{rule(true, "c", 1, 3, "rwm"), rule(true, "x", 1, 3, "rwm")},
			`linux.resources.devices[1].type: "x" is not a, b or c`,
		},
		{
			[]specs.LinuxDeviceCgroup{rule(true, "c", 1, 3, "xyz")},
			`linux.resources.devices[0].access: "xyz" has none of r, w and m`,
		},
		{
			[]specs.LinuxDeviceCgroup{rule(true, "a", -2, -2, "q")},
			`linux.resources.devices[0].access: "q" has none of r, w and m`,
		},
	} {
		if _, err := compileDevices(c.rules); err == nil || err.Error() != c.err {
			t.Errorf("%s: error %v, want %q", showRules(c.rules), err, c.err)
		}
	}
	p, err := compileDevices([]specs.LinuxDeviceCgroup{
		rule(true, "c", 1, 3, "rwm"), rule(true, "a", -2, -2, ""), rule(false, "b", 8, -2, "w"),
	})
	if err != nil || !p.defaultAllow || len(p.rules) != 1 || p.rules[0].typ != devBlock || p.rules[0].minor != -1 {
		t.Errorf("rules before the last type a are dropped: %+v %v", p, err)
	}
}
