package plan

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildPlanDump compiles nsenter/plan.c with its test driver, with the
// address and undefined-behaviour sanitizers when the compiler has them: a
// read past the end of the plan then aborts instead of passing unseen.
func buildPlanDump(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found: the C decoder is not tested here (berth's build needs it, scripts/deps.sh installs it)")
	}
	out := filepath.Join(t.TempDir(), "plandump")
	src := []string{"../../nsenter/plan.c", "../../nsenter/testdata/plandump.c"}
	for _, flags := range [][]string{{"-fsanitize=address,undefined", "-fno-sanitize-recover=all"}, nil} {
		args := append([]string{"-Wall", "-Werror", "-O1", "-g", "-o", out}, flags...)
		if b, err := exec.Command(cc, append(args, src...)...).CombinedOutput(); err == nil {
			return out
		} else if flags == nil {
			t.Fatalf("build plandump: %v\n%s", err, b)
		}
	}
	return out
}

// dumpGo is what plandump prints, from the Go decoder.
func dumpGo(b []byte) string {
	steps, err := Decode(b)
	var sb strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&sb, "%d %s %d\n", s.Op, s.Field, len(s.Items))
	}
	if err != nil {
		return "error"
	}
	return sb.String()
}

func TestCDecoderAgreesWithGo(t *testing.T) {
	bin := buildPlanDump(t)
	p := New()
	p.Add(OpArgs, "process.args", U(2), S("sh"), S("-c"))
	p.Add(OpRlimit, "process.rlimits[0]", U(7), U(10), U(20), S("RLIMIT_NOFILE"))
	p.Add(OpSeccomp, "linux.seccomp", U(0), Raw(make([]byte, 24)))
	p.Add(OpReady, "ready")
	good, _ := p.Bytes()
	// run decodes every plan with the C decoder, in one process.
	run := func(plans [][]byte) []string {
		dir := t.TempDir()
		var files []string
		for i, pl := range plans {
			f := filepath.Join(dir, fmt.Sprint(i))
			if err := os.WriteFile(f, pl, 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		cmd := exec.Command(bin, files...)
		// The plan lives until execve by design: no leak reports.
		cmd.Env = []string{"ASAN_OPTIONS=detect_leaks=0"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("plandump: %v\n%s", err, out)
		}
		res := strings.Split(string(out), "--\n")
		if len(res) != len(plans)+1 {
			t.Fatalf("plandump printed %d results for %d plans:\n%s", len(res)-1, len(plans), out)
		}
		return res[:len(plans)]
	}
	if got, want := run([][]byte{good})[0], dumpGo(good); got != want {
		t.Fatalf("C decoded\n%s\nGo decoded\n%s", got, want)
	}
	// Every truncation, and every byte flipped: C never reads past the end
	// (the sanitizer would abort) and refuses exactly what Go refuses.
	var cases [][]byte
	for n := 0; n < len(good); n++ {
		cases = append(cases, good[:n])
	}
	for i := range good {
		for _, x := range []byte{0xff, 0x80, 0x01} {
			c := append([]byte(nil), good...)
			c[i] ^= x
			cases = append(cases, c)
		}
	}
	for i, got := range run(cases) {
		c, want := cases[i], dumpGo(cases[i])
		if strings.Contains(got, "error") != (want == "error") {
			t.Fatalf("plan % x: C says %q, Go %q", c, got, want)
		}
		if want != "error" && got != want {
			t.Fatalf("plan % x: C decoded %q, Go %q", c, got, want)
		}
	}
}
