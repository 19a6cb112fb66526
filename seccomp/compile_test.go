//go:build linux && cgo && !noseccomp

package seccomp

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

func uptr(v uint) *uint { return &v }

// sys builds a syscalls entry.
func sys(action specs.LinuxSeccompAction, names ...string) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: action}
}

// arg builds an args entry.
func arg(index uint, op specs.LinuxSeccompOperator, v ...uint64) specs.LinuxSeccompArg {
	a := specs.LinuxSeccompArg{Index: index, Op: op, Value: v[0]}
	if len(v) > 1 {
		a.ValueTwo = v[1]
	}
	return a
}

func TestCompileValid(t *testing.T) {
	withArgs := func(s specs.LinuxSyscall, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		s.Args = args
		return s
	}
	withErrno := func(s specs.LinuxSyscall, e uint) specs.LinuxSyscall {
		s.ErrnoRet = uptr(e)
		return s
	}
	cases := []struct {
		name    string
		profile specs.LinuxSeccomp
		notify  bool
		ignored []string // fields of Ignored, in order
	}{
		{name: "minimal", profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow}},
		{
			name: "spec example",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{sys(specs.ActErrno, "getcwd", "chmod")},
			},
		},
		{
			name: "every action",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				ListenerPath:  "/run/agent.sock",
				Syscalls: []specs.LinuxSyscall{
					sys(specs.ActKill, "acct"),
					sys(specs.ActKillProcess, "bpf"),
					sys(specs.ActKillThread, "chroot"),
					sys(specs.ActTrap, "delete_module"),
					withErrno(sys(specs.ActErrno, "fanotify_init"), 38),
					withErrno(sys(specs.ActTrace, "getpgid"), 1234),
					sys(specs.ActLog, "kcmp"),
					sys(specs.ActNotify, "mount"),
					sys(specs.ActAllow, "read"), // the default: skipped
				},
			},
			notify: true,
		},
		{
			name: "allow-list with errno default",
			profile: specs.LinuxSeccomp{
				DefaultAction:   specs.ActErrno,
				DefaultErrnoRet: uptr(38),
				Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls: []specs.LinuxSyscall{
					sys(specs.ActAllow, "read", "write", "exit_group", "socketcall", "arm_fadvise64_64"),
					withErrno(sys(specs.ActErrno, "clone3"), 38), // equals the default: skipped
					withErrno(sys(specs.ActErrno, "unshare"), 1),
				},
			},
		},
		{
			name: "every operator",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{
					withArgs(sys(specs.ActErrno, "personality"), arg(0, specs.OpEqualTo, 0xffffffff)),
					withArgs(sys(specs.ActErrno, "socket"), arg(0, specs.OpNotEqual, 1), arg(2, specs.OpLessThan, 10)),
					withArgs(sys(specs.ActErrno, "umask"), arg(0, specs.OpLessEqual, 7)),
					withArgs(sys(specs.ActErrno, "setuid"), arg(0, specs.OpGreaterEqual, 100), arg(0, specs.OpGreaterThan, 200)),
					withArgs(sys(specs.ActErrno, "clone"), arg(0, specs.OpMaskedEqual, 0x7e020000, 0)),
				},
			},
		},
		{
			name: "conditions on a repeated argument",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{
					withArgs(sys(specs.ActErrno, "socket"), arg(0, specs.OpNotEqual, 1), arg(0, specs.OpNotEqual, 2), arg(1, specs.OpEqualTo, 2)),
					withArgs(sys(specs.ActErrno, "umask"), arg(0, specs.OpGreaterEqual, 0o100), arg(0, specs.OpLessEqual, 0o200)),
					// runc's reading: alternatives on one argument (Docker's personality entry)
					withArgs(sys(specs.ActAllow, "personality"), arg(0, specs.OpEqualTo, 0), arg(0, specs.OpEqualTo, 8)),
				},
			},
		},
		{
			name: "flags",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, "SECCOMP_FILTER_FLAG_TSYNC"},
			},
		},
		{
			name: "unknown names where the default is as strict",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				Syscalls: []specs.LinuxSyscall{
					sys(specs.ActAllow, "read", "no_such_syscall_1"),
					sys(specs.ActKillProcess, "no_such_syscall_2"),
				},
			},
			ignored: []string{"linux.seccomp.syscalls[0].names[1]", "linux.seccomp.syscalls[1].names[0]"},
		},
		{
			name: "unknown name under a permissive rule",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{sys(specs.ActLog, "no_such_syscall")},
			},
			ignored: []string{"linux.seccomp.syscalls[0].names[0]"},
		},
		{
			name: "architectures this filter cannot hold",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchS390X, specs.ArchLOONGARCH64},
			},
			ignored: []string{"linux.seccomp.architectures[1]", "linux.seccomp.architectures[2]"},
		},
		{
			name: "notify rule on an unknown name only",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				ListenerPath:  "/run/agent.sock",
				Syscalls:      []specs.LinuxSyscall{sys(specs.ActNotify, "no_such_syscall")},
			},
			ignored: []string{"linux.seccomp.syscalls[0].names[0]"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(&tc.profile)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			defer f.Release()
			if f.HasNotify() != tc.notify {
				t.Errorf("HasNotify = %v, want %v", f.HasNotify(), tc.notify)
			}
			var got []string
			for _, line := range f.Ignored() {
				got = append(got, strings.SplitN(line, ":", 2)[0])
			}
			if !slices.Equal(got, tc.ignored) {
				t.Errorf("Ignored = %q, want fields %q", f.Ignored(), tc.ignored)
			}
		})
	}
}

func TestCompileNil(t *testing.T) {
	f, err := Compile(nil)
	if f != nil || err != nil {
		t.Fatalf("Compile(nil) = %v, %v", f, err)
	}
	if prog, _, err := f.Program(); prog != nil || err != nil {
		t.Fatalf("nil Program = %v, %v", prog, err)
	}
	if f.HasNotify() {
		t.Fatal("nil HasNotify")
	}
}

func TestCompileErrors(t *testing.T) {
	allow := specs.ActAllow
	cases := []struct {
		name    string
		profile specs.LinuxSeccomp
		field   string
		msg     string
	}{
		{"no default", specs.LinuxSeccomp{}, "linux.seccomp.defaultAction", "missing"},
		{"unknown default", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}, "linux.seccomp.defaultAction", `unknown action "SCMP_ACT_FOO"`},
		{"notify default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/a"}, "linux.seccomp.defaultAction", "cannot be the default"},
		{"errno on allow default", specs.LinuxSeccomp{DefaultAction: allow, DefaultErrnoRet: uptr(1)}, "linux.seccomp.defaultErrnoRet", "SCMP_ACT_ALLOW takes no errno"},
		{"errno too big", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(4096)}, "linux.seccomp.defaultErrnoRet", "out of range"},
		{"trace msg too big", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActTrace, ErrnoRet: uptr(70000)}}}, "linux.seccomp.syscalls[0].errnoRet", "out of range"},
		{"unknown arch", specs.LinuxSeccomp{DefaultAction: allow, Architectures: []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"}}, "linux.seccomp.architectures[1]", `unknown architecture "SCMP_ARCH_VAX"`},
		{"unknown flag", specs.LinuxSeccomp{DefaultAction: allow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"}}, "linux.seccomp.flags[0]", `unknown flag "SECCOMP_FILTER_FLAG_FOO"`},
		{"metadata without path", specs.LinuxSeccomp{DefaultAction: allow, ListenerMetadata: "x"}, "linux.seccomp.listenerMetadata", "without listenerPath"},
		{"notify without path", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys(specs.ActNotify, "mount")}}, "linux.seccomp.listenerPath", "syscalls[0] uses SCMP_ACT_NOTIFY"},
		{"no names", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno)}}, "linux.seccomp.syscalls[0].names", "at least one name"},
		{"empty name", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno, "read", "")}}, "linux.seccomp.syscalls[0].names[1]", "empty syscall name"},
		{"no action", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys("", "read")}}, "linux.seccomp.syscalls[0].action", "missing"},
		{"unknown action", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys("SCMP_ACT_FOO", "read")}}, "linux.seccomp.syscalls[0].action", `unknown action "SCMP_ACT_FOO"`},
		{"errno on kill", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActKill, ErrnoRet: uptr(1)}}}, "linux.seccomp.syscalls[0].errnoRet", "SCMP_ACT_KILL takes no errno"},
		{
			"unknown syscall denied under allow",
			specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno, "read"), sys(specs.ActErrno, "write"), sys(specs.ActErrno, "close"), sys(specs.ActErrno, "read", "foo")}},
			"linux.seccomp.syscalls[3].names[1]", `unknown syscall "foo"`,
		},
		{"notify on write", specs.LinuxSeccomp{DefaultAction: allow, ListenerPath: "/run/agent.sock", Syscalls: []specs.LinuxSyscall{sys(specs.ActNotify, "mkdir", "write")}}, "linux.seccomp.syscalls[0].names[1]", "SCMP_ACT_NOTIFY cannot be used for write"},
		{"arg index", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(6, specs.OpEqualTo, 1)}}}}, "linux.seccomp.syscalls[0].args[0].index", "out of range"},
		{"no op", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 1), arg(1, "", 1)}}}}, "linux.seccomp.syscalls[0].args[1].op", "missing"},
		{"unknown op", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(0, "SCMP_CMP_FOO", 1)}}}}, "linux.seccomp.syscalls[0].args[0].op", `unknown operator "SCMP_CMP_FOO"`},
		{"valueTwo without mask", specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 1, 2)}}}}, "linux.seccomp.syscalls[0].args[0].valueTwo", "only SCMP_CMP_MASKED_EQ"},
	}
	if major, minor, _ := libseccomp.GetLibraryVersion(); major == 2 && minor < 6 {
		cases = append(cases, struct {
			name    string
			profile specs.LinuxSeccomp
			field   string
			msg     string
		}{
			"wait killable recv on libseccomp < 2.6",
			specs.LinuxSeccomp{DefaultAction: allow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagWaitKillableRecv}},
			"linux.seccomp.flags[1]", "cannot be expressed with libseccomp 2.5",
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(&tc.profile)
			if err == nil {
				f.Release()
				t.Fatalf("Compile succeeded, want %s: ...%s...", tc.field, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %q, want %s: ...%s...", err, tc.field, tc.msg)
			}
		})
	}
}

// TestFilterAttributes checks what Compile sets besides the profile:
// no_new_privs is init's business, and a syscall of a foreign
// architecture kills the process.
func TestFilterAttributes(t *testing.T) {
	f, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if nnp, err := f.filter.GetNoNewPrivsBit(); err != nil || nnp {
		t.Errorf("no_new_privs attribute = %v, %v; want false", nnp, err)
	}
	if bad, err := f.filter.GetBadArchAction(); err != nil || bad != libseccomp.ActKillProcess {
		t.Errorf("bad-architecture action = %v, %v; want kill process", bad, err)
	}
}

func TestFeatures(t *testing.T) {
	if !Enabled() {
		t.Fatal("Enabled is false in the libseccomp build")
	}
	if got := Actions(); !slices.Equal(got, actionNames) {
		t.Errorf("Actions = %q, want all of %q on this kernel", got, actionNames)
	}
	if got := Operators(); len(got) != 7 {
		t.Errorf("Operators = %q", got)
	}
	if got := Archs(); !slices.Contains(got, "SCMP_ARCH_X86_64") || !slices.Contains(got, "SCMP_ARCH_S390X") {
		t.Errorf("Archs = %q", got)
	}
	if got := KnownFlags(); !slices.Equal(got, flagNames) {
		t.Errorf("KnownFlags = %q", got)
	}
	// Kernel 6.18 knows all four; libseccomp 2.5 cannot express the last.
	supported := SupportedFlags()
	for _, f := range []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"} {
		if !slices.Contains(supported, f) {
			t.Errorf("SupportedFlags = %q, lacks %s", supported, f)
		}
	}
	if major, minor, _ := libseccomp.GetLibraryVersion(); major == 2 && minor < 6 && slices.Contains(supported, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
		t.Errorf("SupportedFlags = %q: WAIT_KILLABLE_RECV needs libseccomp 2.6", supported)
	}
	if LibraryVersion() == "" {
		t.Error("LibraryVersion is empty")
	}
}
