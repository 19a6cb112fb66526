package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

func decodePlan(t *testing.T, cfg *configs.Config, preserve int) []plan.Step {
	t.Helper()
	b, _, err := compileExecPlan(cfg, preserve)
	return mustDecode(t, b, err)
}

// mustDecode decodes a plan a compiler returned, failing the test on
// either's error.
func mustDecode(t *testing.T, b []byte, err error) []plan.Step {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	steps, err := plan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

func ops(steps []plan.Step) []plan.Op {
	var o []plan.Op
	for _, s := range steps {
		o = append(o, s.Op)
	}
	return o
}

func TestExecPlanMinimal(t *testing.T) {
	cfg := &configs.Config{Process: configs.Process{
		Args: []string{"sh"}, Env: []string{"PATH=/bin", "A=1", "A=2"}, Cwd: "/",
	}}
	steps := decodePlan(t, cfg, 2)
	want := []plan.Op{
		plan.OpSetsid, plan.OpEnv, plan.OpHome, plan.OpArgs, plan.OpLookPath,
		plan.OpCwd, plan.OpUser, plan.OpCwd, plan.OpCloseFds, plan.OpReady, plan.OpExecve,
	}
	if got := ops(steps); !equalOps(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	// The environment is deduplicated, the last value where it was last
	// given; HOME is left to the stage (the container's /etc/passwd).
	if env := steps[1].Items; len(env) != 3 || env[1] != "PATH=/bin" || env[2] != "A=2" {
		t.Fatalf("env %v", env)
	}
	if steps[4].Items[0] != "/bin" {
		t.Fatalf("lookpath PATH %v", steps[4].Items)
	}
	if steps[8].Items[0] != uint64(5) {
		t.Fatalf("close fds from %v, want 5", steps[8].Items[0])
	}
}

func TestExecPlanEverything(t *testing.T) {
	adj, umask, pers := -100, uint32(0o27), 8
	cfg := &configs.Config{
		OOMScoreAdj: &adj,
		Personality: &pers,
		Process: configs.Process{
			Args: []string{"/bin/true"}, Env: []string{"HOME=/h"}, Cwd: "/tmp",
			UID: 1000, GID: 100, AdditionalGids: []uint32{5, 6},
			Terminal: true, ConsoleWidth: 80, ConsoleHeight: 24,
			NoNewPrivileges: true, Umask: &umask,
			Rlimits: []configs.Rlimit{{Type: 7, Name: "RLIMIT_NOFILE", Soft: 10, Hard: 20}},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_CHOWN", "CAP_NO_SUCH"}, Permitted: []string{"CAP_CHOWN"},
				Effective: []string{"CAP_CHOWN"}, Ambient: []string{"CAP_CHOWN"},
			},
			IOPriority: &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
		},
	}
	b, warnings, err := compileExecPlan(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "process.capabilities.bounding") || !strings.Contains(warnings[0], "CAP_NO_SUCH") {
		t.Fatalf("warnings %q", warnings)
	}
	steps, err := plan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.Op{
		plan.OpSetsid, plan.OpConsole, plan.OpEnv, plan.OpArgs, plan.OpLookPath,
		plan.OpPersonality, plan.OpIOPrio, plan.OpCapBounding, plan.OpCwd, plan.OpUser, plan.OpCwd, plan.OpCaps,
		plan.OpNoNewPrivs, plan.OpUmask, plan.OpCloseFds, plan.OpReady, plan.OpRlimit, plan.OpDropKept, plan.OpExecve,
	}
	if got := ops(steps); !equalOps(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	byOp := map[plan.Op]plan.Step{}
	for _, s := range steps {
		byOp[s.Op] = s
	}
	if s := byOp[plan.OpRlimit]; s.Field != "process.rlimits[0]" || s.Items[3] != "RLIMIT_NOFILE" {
		t.Fatalf("rlimit step %+v", s)
	}
	if s := byOp[plan.OpUser]; s.Items[0] != uint64(1000) || s.Items[1] != uint64(100) || s.Items[2] != uint64(2) || s.Items[4] != uint64(6) {
		t.Fatalf("user step %+v", s)
	}
	if s := byOp[plan.OpCapBounding]; s.Items[0] != uint64(1) {
		t.Fatalf("bounding mask %+v, want CAP_CHOWN alone", s)
	}
	// Rlimits keep CAP_SYS_RESOURCE until the end.
	if s := byOp[plan.OpCaps]; s.Items[3] != uint64(1<<24) || s.Items[4] != uint64(1) || s.Items[6] != "CAP_CHOWN" {
		t.Fatalf("caps step %+v", s)
	}
	if s := byOp[plan.OpIOPrio]; s.Items[0] != uint64(2<<13|4) {
		t.Fatalf("ioprio %+v", s)
	}
	for _, s := range steps {
		if strings.Contains(s.Field, "oomScoreAdj") {
			t.Fatal("oom_score_adj is the parent's to write, not a step of the plan")
		}
	}
}

func TestExecPlanBadSeccompIsAnErrorOfTheParent(t *testing.T) {
	cfg := &configs.Config{Process: configs.Process{
		Args: []string{"sh"}, Cwd: "/",
		Seccomp: &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"},
	}}
	if _, _, err := compileExecPlan(cfg, 0); err == nil || !strings.Contains(err.Error(), "linux.seccomp.defaultAction") {
		t.Fatalf("want an error naming linux.seccomp.defaultAction, got %v", err)
	}
}

func equalOps(a, b []plan.Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
