package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
)

// Stand-ins for the rootfs compilers: one marker step each, so that the
// tests see where the compiler puts them.
const (
	opPrepare plan.Op = 97
	opEnter   plan.Op = 98
	opProtect plan.Op = 99
)

func withRootfsStubs(t *testing.T, failEnter bool) {
	t.Helper()
	saved := rootfsSteps
	t.Cleanup(func() { rootfsSteps = saved })
	stub := func(op plan.Op) func(*configs.Config, *plan.Plan) error {
		return func(_ *configs.Config, p *plan.Plan) error {
			if failEnter && op == opEnter {
				return errors.New("mounts[2]: destination resolves outside the rootfs")
			}
			p.Add(op, "rootfs")
			return nil
		}
	}
	rootfsSteps.prepare, rootfsSteps.enter, rootfsSteps.protect = stub(opPrepare), stub(opEnter), stub(opProtect)
}

func decodeCreate(t *testing.T, cfg *configs.Config, in createInputs) []plan.Step {
	t.Helper()
	b, _, err := compileCreatePlan(cfg, in)
	return mustDecode(t, b, err)
}

func TestCreatePlanMinimal(t *testing.T) {
	withRootfsStubs(t, false)
	cfg := &configs.Config{Rootfs: "/r", Process: configs.Process{Args: []string{"sh"}, Cwd: "/"}}
	steps := decodeCreate(t, cfg, createInputs{id: "c1", bundle: "/b", fifoFd: 5})
	want := []plan.Op{
		plan.OpSetsid, plan.OpKeyring, opPrepare, opEnter, opProtect,
		plan.OpEnv, plan.OpHome, plan.OpArgs, plan.OpLookPath, plan.OpCwd, plan.OpUser, plan.OpCwd,
		plan.OpCloseFds, plan.OpReady, plan.OpFifoWait, plan.OpFifoOK, plan.OpExecve,
	}
	if got := ops(steps); !equalOps(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	for _, s := range steps {
		if s.Op == plan.OpFifoWait && s.Items[0] != uint64(5) {
			t.Fatalf("fifo fd %v, want 5", s.Items)
		}
	}
}

// The order is the one the Go init had, which runc's has too: hooks sync before the
// createContainer hooks, which run before the root is entered; names,
// loopback and sysctls before the protected paths; after ready the fifo,
// the filter, the startContainer hooks, "0", then the rlimits.
func TestCreatePlanEverythingInTheGoInitsOrder(t *testing.T) {
	withRootfsStubs(t, false)
	timeout := 3
	cfg := &configs.Config{
		Rootfs: "/r", Hostname: "h", Domainname: "d", NoNewKeyring: true,
		Sysctl:     map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "100", "net.ipv4.conf.eth0/100.forwarding": "1"},
		Namespaces: []configs.Namespace{{Type: "network"}, {Type: "mount"}},
		Hooks: &specs.Hooks{
			Prestart:        []specs.Hook{{Path: "/pre"}},
			CreateContainer: []specs.Hook{{Path: "/cc", Args: []string{"cc", "x"}, Env: []string{"A=1"}, Timeout: &timeout}},
			StartContainer:  []specs.Hook{{Path: "/sc"}},
		},
		Annotations: map[string]string{"k": "v"},
		Version:     "1.2.0",
		Process: configs.Process{
			Args: []string{"/bin/true"}, Env: []string{"HOME=/h", "LISTEN_PID=9"}, Cwd: "/", Terminal: true,
			ListenFDs: 1,
			Seccomp:   &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}},
			Rlimits:   []configs.Rlimit{{Type: 7, Name: "RLIMIT_NOFILE", Soft: 10, Hard: 20}},
		},
	}
	steps := decodeCreate(t, cfg, createInputs{id: "c1", bundle: "/b", fifoFd: 7, preserve: 2})
	want := []plan.Op{
		plan.OpSetsid, opPrepare, plan.OpHooksSync, plan.OpHooks, opEnter,
		plan.OpHostname, plan.OpDomainname, plan.OpLoopback, plan.OpSysctl, plan.OpSysctl, plan.OpSysctl, opProtect,
		plan.OpReopenDevNull, plan.OpConsole, plan.OpEnv, plan.OpListenPid, plan.OpArgs, plan.OpLookPath,
		plan.OpCwd, plan.OpUser, plan.OpCwd, plan.OpCloseFds, plan.OpReady, plan.OpFifoWait, plan.OpSeccomp,
		plan.OpHooks, plan.OpFifoOK, plan.OpRlimit, plan.OpExecve,
	}
	if got := ops(steps); !equalOps(got, want) {
		t.Fatalf("ops %v,\nwant %v", got, want)
	}
	var hooks, sysctls []plan.Step
	for _, s := range steps {
		switch s.Op {
		case plan.OpHooks:
			hooks = append(hooks, s)
		case plan.OpSysctl:
			sysctls = append(sysctls, s)
		case plan.OpEnv:
			if strings.Contains(fmt.Sprint(s.Items), "LISTEN_PID") {
				t.Fatalf("LISTEN_PID of the config kept: %v", s.Items)
			}
		case plan.OpCloseFds:
			if s.Items[0] != uint64(5) {
				t.Fatalf("close fds from %v, want 5", s.Items[0])
			}
		}
	}
	// Sysctls in a stable order, the slash standing for a dot.
	if sysctls[0].Items[0] != "kernel.shmmax" || sysctls[2].Items[1] != "/proc/sys/net/ipv4/ip_forward" ||
		sysctls[1].Items[1] != "/proc/sys/net/ipv4/conf/eth0.100/forwarding" {
		t.Fatalf("sysctls %v", sysctls)
	}
	cc := hooks[0].Items
	if cc[0] != "createContainer" || cc[1] != "/r" || cc[4] != uint64(1) || cc[5] != "/cc" || cc[6] != uint64(3) ||
		cc[7] != uint64(2) || cc[8] != "cc" || cc[9] != "x" || cc[10] != uint64(1) || cc[11] != "A=1" {
		t.Fatalf("createContainer hooks %v", cc)
	}
	// The state, with the stage's pid put in, is the runtime-spec state.
	var st specs.State
	if err := json.Unmarshal([]byte(cc[2].(string)+"1"+cc[3].(string)), &st); err != nil {
		t.Fatal(err)
	}
	if st.ID != "c1" || st.Bundle != "/b" || st.Pid != 1 || st.Status != specs.StateCreated ||
		st.Annotations["k"] != "v" || st.Version != "1.2.0" {
		t.Fatalf("state %+v", st)
	}
	sc := hooks[1].Items
	// startContainer: no directory; a hook without args gets its path.
	if sc[0] != "startContainer" || sc[1] != "" || sc[5] != "/sc" || sc[6] != uint64(0) || sc[7] != uint64(1) ||
		sc[8] != "/sc" || sc[9] != uint64(0) {
		t.Fatalf("startContainer hooks %v", sc)
	}
}

// Without a network or mount namespace of its own, no loopback and no
// reopened /dev/null; without prestart or createRuntime hooks, no sync.
func TestCreatePlanJoinedNamespaces(t *testing.T) {
	withRootfsStubs(t, false)
	cfg := &configs.Config{
		Rootfs:     "/r",
		Namespaces: []configs.Namespace{{Type: "network", Path: "/proc/1/ns/net"}},
		Hooks:      &specs.Hooks{Poststart: []specs.Hook{{Path: "/p"}}},
		Process:    configs.Process{Args: []string{"sh"}, Cwd: "/"},
	}
	for _, s := range decodeCreate(t, cfg, createInputs{}) {
		switch s.Op {
		case plan.OpLoopback, plan.OpReopenDevNull, plan.OpHooksSync, plan.OpHooks:
			t.Fatalf("step %d (%s) in the plan", s.Op, s.Field)
		}
	}
}

// A rootfs compiler's error is the config's: create fails with it before
// anything is spawned (there is no other init to fall back to).
func TestCreatePlanRootfsErrorFailsCreate(t *testing.T) {
	withRootfsStubs(t, true)
	cfg := &configs.Config{Rootfs: "/r", Process: configs.Process{Args: []string{"sh"}, Cwd: "/"}}
	sp := &spawner{o: CreateOpts{Config: cfg}}
	err := sp.compileCreate()
	if err == nil || !strings.Contains(err.Error(), "mounts[2]") || sp.plan != nil {
		t.Fatalf("compileCreate: %v, plan %d bytes; want the compiler's error and no plan", err, len(sp.plan))
	}
}

func TestCreatePlanBadSeccompIsAnErrorBeforeTheFork(t *testing.T) {
	withRootfsStubs(t, false)
	cfg := &configs.Config{Rootfs: "/r", Process: configs.Process{
		Args: []string{"sh"}, Cwd: "/", Seccomp: &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"},
	}}
	sp := &spawner{o: CreateOpts{Config: cfg}}
	if err := sp.compileCreate(); err == nil || !strings.Contains(err.Error(), "seccomp") {
		t.Fatalf("compileCreate: %v", err)
	}
}

func TestFifoErrorWordsErrnoAsGo(t *testing.T) {
	for in, want := range map[string]string{
		"n2 process.args: exec /x": "process.args: exec /x: no such file or directory",
		"eprocess.rlimits[0]: x":   "process.rlimits[0]: x",
		"nbad":                     "bad",
	} {
		if got := fifoError(in); got != want {
			t.Errorf("fifoError(%q) = %q, want %q", in, got, want)
		}
	}
}

// An id (or an annotation) holding the pid marker's digits keeps them:
// the stage's pid goes into the pid field only.
func TestCreatePlanHookStateIDWithMarkerDigits(t *testing.T) {
	withRootfsStubs(t, false)
	digits := fmt.Sprint(pidMark)
	cfg := &configs.Config{
		Rootfs: "/r", Version: "1.2.0",
		Hooks:       &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/cc"}}},
		Annotations: map[string]string{"pid": digits},
		Process:     configs.Process{Args: []string{"sh"}, Cwd: "/"},
	}
	steps := decodeCreate(t, cfg, createInputs{id: "c" + digits, bundle: "/b" + digits, fifoFd: 5})
	for _, s := range steps {
		if s.Op != plan.OpHooks {
			continue
		}
		var st specs.State
		if err := json.Unmarshal([]byte(s.Items[2].(string)+"42"+s.Items[3].(string)), &st); err != nil {
			t.Fatal(err)
		}
		if st.ID != "c"+digits || st.Bundle != "/b"+digits || st.Pid != 42 || st.Annotations["pid"] != digits {
			t.Fatalf("state %+v", st)
		}
		return
	}
	t.Fatal("no hooks step")
}
