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
	// Op 3 was the stage's own oom_score_adj: the parent writes it
	// (libcontainer/oomscore.go), so it is no step.
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

// The steps only create's init runs (nsenter/create.c, hooks.c), 26-49,
// listed in the order the create plan has them.
const (
	// OpKeyring: no items. Joins a new session keyring (a kernel without
	// keyrings, or one that refuses, is not an error).
	OpKeyring Op = 26
	// OpHooksSync: no items. Sends hooks, waits for hooks-done: the
	// parent runs the prestart and createRuntime hooks meanwhile.
	OpHooksSync Op = 27
	// OpHooks: kind (s), directory to enter first (s, "" none), the
	// state JSON before and after init's pid (s s), count, then per hook:
	// path (s), timeout in seconds (u, 0 none), argc, args (s...), envc,
	// env (s...).
	OpHooks Op = 28
	// OpHostname: name (s).
	OpHostname Op = 29
	// OpDomainname: name (s).
	OpDomainname Op = 30
	// OpLoopback: no items. Brings lo up.
	OpLoopback Op = 31
	// OpSysctl: key (s), path under /proc/sys (s), value (s).
	OpSysctl Op = 32
	// OpReopenDevNull: no items. A stdio fd on a /dev/null not the
	// container's is reopened on the container's.
	OpReopenDevNull Op = 33
	// OpListenPid: no items. Appends LISTEN_PID=<init's pid> to the
	// environment (sd_listen_fds(3) checks it).
	OpListenPid Op = 34
	// OpFifoWait: the O_PATH fd of exec.fifo (u). Opens it for writing,
	// which blocks until start; from here failures go to the fifo.
	OpFifoWait Op = 35
	// OpFifoOK: no items. Writes "0" to the fifo: start goes on.
	OpFifoOK Op = 36
)

// Exec label kinds of OpExecLabel.
const (
	LabelAppArmor = 1
	LabelSELinux  = 2
)

// The rootfs steps of a create plan (libcontainer/rootfs/compile*.go emits
// them; nsenter/rootfs.c dispatches them). Every path is resolved by the C
// stage inside the rootfs (openat2 RESOLVE_IN_ROOT).
const (
	// OpRootBind: in mount ns (u), propagation of / (u, 0: none), rootfs
	// (s). With a shared / the mount holding the rootfs's parent (read
	// from the namespace's mountinfo) is made private first. Binds the
	// rootfs on itself (pivot_root needs a mount point) and opens it.
	OpRootBind Op = 50
	// OpMount: index (u), kind (u, Mount*), how (u, How* bits), flags,
	// cleared flags (u u), source, destination, fstype, data, host
	// fallback source (s x5), count, propagation flags (u...), attr set,
	// attr clr (u u).
	OpMount Op = 51
	// OpCgroupMount: index, flags, cgroup ns (u u u), destination (s);
	// count, propagation (u...), attr set, attr clr (u u). The hierarchies
	// are those under /sys/fs/cgroup in the namespace's mountinfo.
	OpCgroupMount Op = 52
	// OpDevice: type (u, 'c' 'b' 'p'), mode, major, minor, uid, gid,
	// bind instead of mknod (u x7), path (s).
	OpDevice Op = 53
	// OpDevLinks: count, then per link target and name (s s), made in
	// /dev; a "ptmx" link replaces the node of that name.
	OpDevLinks Op = 54
	// OpEnter: mode (u, Enter*), rootfs (s), propagation of the new /
	// (u, 0: none). EnterNoPivot first hides the whole procfs and sysfs
	// mounts outside the rootfs, read from the namespace's mountinfo.
	OpEnter Op = 55
	// OpMkdirCwd: path (s): process.cwd, made if missing.
	OpMkdirCwd Op = 56
	// OpDevReadonly: no items: /dev, filled, turns read-only.
	OpDevReadonly Op = 57
	// OpRootReadonly: keep locked flags (u): root.readonly.
	OpRootReadonly Op = 58
	// OpReadonlyPath: path (s), one of linux.readonlyPaths.
	OpReadonlyPath Op = 59
	// OpMaskPath: path (s), one of linux.maskedPaths (each once).
	OpMaskPath Op = 60
	// OpRootfsDone: no items: the last rootfs step closes what the
	// others held (the shared mask, the root), which a created init
	// waiting for start must not keep.
	OpRootfsDone Op = 61
)

// Kinds of OpMount.
const (
	MountFS        = 1 // a new filesystem: mount(source, dest, fstype, flags, data)
	MountBind      = 2 // a bind of source, then its flags (remount)
	MountIDMap     = 3 // the parent's detached id-mapped mount, moved on dest
	MountTmpcopyup = 4 // a tmpfs holding a copy of what dest held
)

// How bits of OpMount.
const (
	HowInheritMode = 1 << 0 // tmpfs: the covered directory's mode first in data
	HowOrdinaryDir = 1 << 1 // proc, sysfs: dest must be a plain directory
	HowAskSource   = 1 << 2 // bind: an unreachable source is opened by the parent
	HowUserNS      = 1 << 3 // in a user namespace: locked flags are kept
	HowKeepRW      = 1 << 4 // tmpcopyup of /dev: no read-only remount
	HowBindSource  = 1 << 5 // tmpcopyup of a bind: its source is stat'ed (and asked for) as a bind's
)

// Modes of OpEnter.
const (
	EnterPivot   = 0
	EnterNoPivot = 1 // move the rootfs onto / and chroot
	EnterChroot  = 2 // no mount namespace of its own
)
