package libcontainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/internal/logs"
	"github.com/berth-runtime/berth/libcontainer/configs"
	"github.com/berth-runtime/berth/libcontainer/plan"
	"github.com/berth-runtime/berth/libcontainer/rootfs"
)

// createInputs is what a create plan needs besides the config.
type createInputs struct {
	id, bundle string
	preserve   int
	// fifoFd is the number of exec.fifo's O_PATH fd in init.
	fifoFd int
}

// rootfsSteps are the rootfs engineer's compilers (libcontainer/rootfs),
// a variable so that the compiler's tests can stand in for them.
var rootfsSteps = struct {
	prepare, enter, protect func(*configs.Config, *plan.Plan) error
}{rootfs.CompilePrepare, rootfs.CompileEnter, rootfs.CompileProtect}

// compileCreatePlan turns a container's config into the plan the C stage
// runs as the container's init (nsenter/create.c): the session, the rootfs
// (rootfs.Compile*), the hooks init runs, the namespaces' settings, then
// the process steps it shares with exec (addProcessSteps) and the wait on
// exec.fifo. Every decision is made here; the C stage only executes.
func compileCreatePlan(cfg *configs.Config, in createInputs) ([]byte, []string, error) {
	p := &cfg.Process
	pl := plan.New()
	pl.Add(plan.OpSetsid, "process.terminal", plan.B(p.Terminal))
	if !cfg.NoNewKeyring {
		// A fresh session keyring: the container sees none of the host's
		// keys.
		pl.Add(plan.OpKeyring, "join session keyring")
	}
	if err := rootfsSteps.prepare(cfg, pl); err != nil {
		return nil, nil, err
	}
	if hasCreateHooks(cfg) {
		pl.Add(plan.OpHooksSync, "hooks")
	}
	if cfg.Hooks != nil && len(cfg.Hooks.CreateContainer) > 0 {
		// As in runc, whose hooks (Docker's, NVIDIA's) may use relative
		// paths: they run in the container's rootfs, its mounts made.
		items, err := hookItems("createContainer", cfg.Rootfs, cfg.Hooks.CreateContainer, cfg, in)
		if err != nil {
			return nil, nil, err
		}
		pl.Add(plan.OpHooks, "hooks", items...)
	}
	if err := rootfsSteps.enter(cfg, pl); err != nil {
		return nil, nil, err
	}
	if cfg.Hostname != "" {
		pl.Add(plan.OpHostname, "hostname", plan.S(cfg.Hostname))
	}
	if cfg.Domainname != "" {
		pl.Add(plan.OpDomainname, "domainname", plan.S(cfg.Domainname))
	}
	if p, ok := cfg.NamespacePath("network"); ok && p == "" {
		pl.Add(plan.OpLoopback, "loopback")
	}
	addSysctls(pl, cfg.Sysctl)
	if err := rootfsSteps.protect(cfg, pl); err != nil {
		return nil, nil, err
	}
	if _, own := cfg.NamespacePath("mount"); own {
		pl.Add(plan.OpReopenDevNull, "reopen /dev/null")
	}
	var startHooks []plan.Item
	if cfg.Hooks != nil && len(cfg.Hooks.StartContainer) > 0 {
		items, err := hookItems("startContainer", "", cfg.Hooks.StartContainer, cfg, in)
		if err != nil {
			return nil, nil, err
		}
		startHooks = items
	}
	tail := planTail{
		listenPid: p.ListenFDs > 0,
		afterReady: func(pl *plan.Plan) {
			// Blocks until start opens the other end; from here errors
			// go to start through the fifo.
			pl.Add(plan.OpFifoWait, "exec fifo", plan.U(uint64(in.fifoFd)))
		},
		afterSeccomp: func(pl *plan.Plan) {
			// runtime.md step 7: before the process, under its filter
			// as in runc; a failure is an error of start.
			if startHooks != nil {
				pl.Add(plan.OpHooks, "hooks", startHooks...)
			}
			pl.Add(plan.OpFifoOK, "exec fifo")
		},
	}
	warnings, err := addProcessSteps(pl, cfg, in.preserve, tail)
	if err != nil {
		return nil, nil, err
	}
	b, err := pl.Bytes()
	return b, warnings, err
}

// addSysctls adds linux.sysctl in a stable order (the map's is random, and
// a plan should be the same for the same config).
func addSysctls(pl *plan.Plan, sysctl map[string]string) {
	keys := make([]string, 0, len(sysctl))
	for k := range sysctl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		// sysctl(8) convention: dots separate directories, and a slash
		// stands for a dot inside a name (net.ipv4.conf.eth0/100.forwarding
		// is interface eth0.100).
		path := filepath.Join("/proc/sys", strings.NewReplacer(".", "/", "/", ".").Replace(k))
		pl.Add(plan.OpSysctl, "linux.sysctl", plan.S(k), plan.S(path), plan.S(sysctl[k]))
	}
}

// pidMark stands for init's pid in the state JSON: the pid the container
// sees is known only in the stage, which puts it between the two halves.
const pidMark = 1<<30 + 7919

// hookItems are the items of an OpHooks step: the hooks of kind, run in
// dir (if any), with the state on stdin that hooks init runs get: the pid
// is init's as the container sees it (runtime.md "State": "for hooks
// executed in the container namespace, it is the pid as seen by the
// container").
func hookItems(kind, dir string, hooks []specs.Hook, cfg *configs.Config, in createInputs) ([]plan.Item, error) {
	st, err := json.Marshal(&specs.State{
		Version:     cfg.Version,
		ID:          in.id,
		Status:      specs.StateCreated,
		Pid:         pidMark,
		Bundle:      in.bundle,
		Annotations: cfg.Annotations,
	})
	if err != nil {
		return nil, fmt.Errorf("hooks.%s: state: %w", kind, err)
	}
	// Cut at the field, not the number alone: the id or an annotation
	// may hold the same digits, and comes before it.
	field := `"pid":`
	before, after, ok := bytes.Cut(st, []byte(field+strconv.Itoa(pidMark)))
	if !ok {
		return nil, fmt.Errorf("hooks.%s: state without its pid", kind)
	}
	items := []plan.Item{plan.S(kind), plan.S(dir), plan.S(string(before) + field), plan.S(string(after)), plan.U(uint64(len(hooks)))}
	for _, h := range hooks {
		var timeout uint64
		if h.Timeout != nil && *h.Timeout > 0 {
			timeout = uint64(*h.Timeout)
		}
		args := h.Args
		if len(args) == 0 {
			// args[0] is the hook's argv[0], its path when none is given.
			args = []string{h.Path}
		}
		// A hook's env is its own only (hooks.c passes none besides):
		// nothing of the parent's or the stage's reaches it.
		items = append(items, plan.S(h.Path), plan.U(timeout))
		items = append(items, strList(args)...)
		items = append(items, strList(h.Env)...)
	}
	return items, nil
}

// compileCreate compiles create's plan for the C stage to run as init. An
// error is the config's, reported before anything is spawned.
func (sp *spawner) compileCreate() error {
	b, warnings, err := compileCreatePlan(sp.o.Config, createInputs{
		id: sp.o.ID, bundle: sp.o.Bundle, preserve: sp.o.PreserveFDs, fifoFd: sp.fifoFdInInit(),
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		if sp.o.Warn != nil {
			sp.o.Warn(w)
		}
	}
	logs.Debugf("create: init runs from a plan of %d bytes in the C stage, with no Go runtime", len(b))
	sp.plan = b
	return nil
}

// fifoFdInInit is the number exec.fifo's fd has in init: after stdio, the
// preserved fds, the sync socket and the plan pipe (spawner.start).
func (sp *spawner) fifoFdInInit() int {
	return 3 + sp.o.PreserveFDs + 2
}

// hasCreateHooks says whether the parent runs hooks during create
// (prestart, createRuntime): init then stops for them (OpHooksSync).
func hasCreateHooks(cfg *configs.Config) bool {
	return cfg.Hooks != nil && (len(cfg.Hooks.Prestart) > 0 || len(cfg.Hooks.CreateRuntime) > 0)
}
