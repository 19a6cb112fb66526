package libcontainer

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMergeResources(t *testing.T) {
	var dst, src specs.LinuxResources
	json.Unmarshal([]byte(`{"memory":{"limit":100,"swap":200},"cpu":{"shares":5,"cpus":"0"},"pids":{"limit":10}}`), &dst)
	json.Unmarshal([]byte(`{"memory":{"limit":0,"swap":0,"reservation":0},"cpu":{"shares":7,"quota":0},"pids":{"limit":20}}`), &src)
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
