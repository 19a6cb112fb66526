package plan

import (
	"bufio"
	"encoding/binary"
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
func buildPlanDump(t testing.TB) string {
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

// samplePlan is a plan with every kind of item: integers, strings, bytes.
func samplePlan() []byte {
	p := New()
	p.Add(OpArgs, "process.args", U(2), S("sh"), S("-c"))
	p.Add(OpRlimit, "process.rlimits[0]", U(7), U(10), U(20), S("RLIMIT_NOFILE"))
	p.Add(OpSeccomp, "linux.seccomp", U(0), Raw(make([]byte, 24)))
	p.Add(OpReady, "ready")
	b, _ := p.Bytes()
	return b
}

func TestCDecoderAgreesWithGo(t *testing.T) {
	bin := buildPlanDump(t)
	good := samplePlan()
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

// FuzzCDecode feeds the C decoder what Go's fuzzer makes of the seeds,
// through one plandump (with its sanitizers) per fuzzing process: it must
// not crash or read past the end, must refuse exactly what the Go decoder
// refuses, and decode the rest to the same steps.
func FuzzCDecode(f *testing.F) {
	f.Add(samplePlan())
	cmd := exec.Command(buildPlanDump(f), "-")
	cmd.Env = []string{"ASAN_OPTIONS=detect_leaks=0"}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		f.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		f.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
	})
	out := bufio.NewReader(outPipe)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > MaxSize {
			return
		}
		var hdr [4]byte
		binary.LittleEndian.PutUint32(hdr[:], uint32(len(b)))
		if _, err := in.Write(append(hdr[:], b...)); err != nil {
			t.Fatalf("plandump: %v (did it crash on an earlier input?)", err)
		}
		var got strings.Builder
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("plandump died on plan % x: %v", b, err)
			}
			if line == "--\n" {
				break
			}
			got.WriteString(line)
		}
		want := dumpGo(b)
		if strings.Contains(got.String(), "error") != (want == "error") {
			t.Fatalf("plan % x: C says %q, Go %q", b, got.String(), want)
		}
		if want != "error" && got.String() != want {
			t.Fatalf("plan % x: C decoded %q, Go %q", b, got.String(), want)
		}
	})
}
