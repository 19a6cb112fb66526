package libcontainer

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMergeResources(t *testing.T) {
	var dst, src specs.LinuxResources
	if err := json.Unmarshal([]byte(`{"memory":{"limit":100,"swap":200},"cpu":{"shares":5,"cpus":"0"},"pids":{"limit":10}}`), &dst); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"memory":{"limit":0,"swap":0,"reservation":0},"cpu":{"shares":7,"quota":0},"pids":{"limit":20}}`), &src); err != nil {
		t.Fatal(err)
	}
	got, err := mergeResources(&dst, withoutZeros(&src))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"memory":{"limit":100,"swap":200},"cpu":{"shares":7,"cpus":"0"},"pids":{"limit":20}}`
	if string(b) != want {
		t.Errorf("merged = %s\nwant     %s", b, want)
	}
	if dst.CPU.Shares == nil || *dst.CPU.Shares != 5 {
		t.Error("merge changed its input")
	}
}

// `update --memory -1` lifts memory+swap as well (else v1's old memsw caps
// the container as before); pids.limit 0 is a limit, kept in the state.
func TestUpdateUnlimitedAndZeroPids(t *testing.T) {
	var cur, r specs.LinuxResources
	if err := json.Unmarshal([]byte(`{"memory":{"limit":100,"swap":200},"pids":{"limit":10}}`), &cur); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"memory":{"limit":-1},"pids":{"limit":0}}`), &r); err != nil {
		t.Fatal(err)
	}
	p := withPairs(&r, &cur)
	if p.Memory.Swap == nil || *p.Memory.Swap != -1 {
		t.Errorf("swap = %v, want -1", p.Memory.Swap)
	}
	got, err := mergeResources(&cur, withoutZeros(p))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if want := `{"memory":{"limit":-1,"swap":-1},"pids":{"limit":0}}`; string(b) != want {
		t.Errorf("merged = %s\nwant     %s", b, want)
	}
	// a limit other than -1 keeps the swap in force
	if err := json.Unmarshal([]byte(`{"memory":{"limit":150}}`), &r); err != nil {
		t.Fatal(err)
	}
	if p := withPairs(&r, &cur); p.Memory.Swap == nil || *p.Memory.Swap != 200 {
		t.Errorf("swap = %v, want 200", p.Memory.Swap)
	}
}
