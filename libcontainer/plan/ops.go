package plan

// Op is what a step does. The numbers are the C stage's too
// (nsenter/plan.h); TestOpsMatchC keeps the two lists equal.
type Op uint16

// Op numbers: 1-49 process and create steps (exec.c, create), 50-99 the
// rootfs (nsenter/rootfs.c and the files it dispatches to).

// The steps of an exec plan, in the order the compiler emits them (the
// executor runs them in the order given). The items of each are listed.
const (
	// OpSetsid: required (u). A failure matters only with a terminal.
	OpSetsid Op = 1
	// OpConsole: uid, width, height (u u u). Opens a pty in the
	// container's devpts, makes it stdio and the controlling terminal,
	// sends the master to the parent and waits for console-done.
	OpConsole Op = 2
	// OpOOMScoreAdj: value (u, signed).
	OpOOMScoreAdj Op = 3
	// OpEnv: count, then that many strings: the environment, final but
	// for HOME.
	OpEnv Op = 4
	// OpHome: uid (u). HOME from the container's /etc/passwd, else "/".
	OpHome Op = 5
	// OpArgs: count, then that many strings.
	OpArgs Op = 6
	// OpLookPath: PATH (s). Resolves args[0] in the container.
	OpLookPath Op = 7
	// OpPersonality: persona (u).
	OpPersonality Op = 8
	// OpScheduler: policy, flags, nice, priority, runtime, deadline,
	// period, cpuset limited (u x8), policy name (s).
	OpScheduler Op = 9
	// OpIOPrio: ioprio value (u), description (s).
	OpIOPrio Op = 10
	// OpAffinity: the cpu list (s), count, then that many u64 words of
	// the mask.
	OpAffinity Op = 11
	// OpMemPolicy: mode|flags (u), description (s), count, words.
	OpMemPolicy Op = 12
	// OpCapBounding: mask, last cap (u u).
	OpCapBounding Op = 13
	// OpCwd: path (s), as user (u: 0 as root, permission errors
	// deferred; 1 only if the root attempt was deferred).
	OpCwd Op = 14
	// OpUser: uid, gid, count, groups (u...).
	OpUser Op = 15
	// OpCaps: effective, permitted, inheritable, keep (u x4), count,
	// then per ambient capability its number (u) and name (s).
	OpCaps Op = 16
	// OpNoNewPrivs: no items.
	OpNoNewPrivs Op = 17
	// OpUmask: mask (u).
	OpUmask Op = 18
	// OpCloseFds: first fd (u): every fd from it on is close-on-exec.
	OpCloseFds Op = 19
	// OpSeccomp: flags (u), program (b, struct sock_filter[]). With
	// SECCOMP_FILTER_FLAG_NEW_LISTENER the listener goes to the parent.
	OpSeccomp Op = 20
	// OpReady: tells the parent everything that can be reported is done.
	OpReady Op = 21
	// OpRlimit: resource, soft, hard (u u u), name (s).
	OpRlimit Op = 22
	// OpExecLabel: kind (u: 1 AppArmor, 2 SELinux), value (s).
	OpExecLabel Op = 23
	// OpDropKept: no items; drops what OpCaps kept.
	OpDropKept Op = 24
	// OpExecve: no items; args, env and the looked-up path are known.
	OpExecve Op = 25
)

// Exec label kinds of OpExecLabel.
const (
	LabelAppArmor = 1
	LabelSELinux  = 2
)
