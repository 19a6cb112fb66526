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

// The rootfs steps of a create plan (libcontainer/rootfs/compile*.go emits
// them; nsenter/rootfs.c dispatches them). Every path is resolved by the C
// stage inside the rootfs (openat2 RESOLVE_IN_ROOT).
const (
	// OpRootBind: in mount ns (u), propagation of / (u, 0: none), mount
	// to make private first (s, "": none), rootfs (s). Binds the rootfs
	// on itself (pivot_root needs a mount point) and opens it.
	OpRootBind Op = 50
	// OpMount: index (u), kind (u, Mount*), how (u, How* bits), flags,
	// cleared flags (u u), source, destination, fstype, data, host
	// fallback source (s x5), count, propagation flags (u...), attr set,
	// attr clr (u u).
	OpMount Op = 51
	// OpCgroupMount: index, flags, cgroup ns (u u u), destination (s),
	// whole (u: one cgroup2 hierarchy at /sys/fs/cgroup), count, then per
	// hierarchy fstype, key, mount point, root, name (s x5); count,
	// propagation (u...), attr set, attr clr (u u).
	OpCgroupMount Op = 52
	// OpDevice: type (u, 'c' 'b' 'p'), mode, major, minor, uid, gid,
	// bind instead of mknod (u x7), path (s).
	OpDevice Op = 53
	// OpDevLinks: count, then per link target and name (s s), made in
	// /dev; a "ptmx" link replaces the node of that name.
	OpDevLinks Op = 54
	// OpEnter: mode (u, Enter*), rootfs (s), propagation of the new /
	// (u, 0: none), count, host procfs/sysfs mount points to hide (s...).
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
)

// Modes of OpEnter.
const (
	EnterPivot   = 0
	EnterNoPivot = 1 // move the rootfs onto / and chroot
	EnterChroot  = 2 // no mount namespace of its own
)
