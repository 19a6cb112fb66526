//go:build linux && cgo && !noseccomp

package seccomp

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Filter is a linux.seccomp profile compiled and ready to load.
type Filter struct {
	filter  *libseccomp.ScmpFilter
	def     libseccomp.ScmpAction
	notify  bool // a SCMP_ACT_NOTIFY rule made it into the filter
	ignored []string
	// prog, when set, is what Program returns: the ENOSYS stub and
	// libseccomp's program (enosys.go).
	prog []unix.SockFilter
}

// Compile checks linux.seccomp and builds the filter from it without
// loading it. Every error names the config.json field. A nil profile gives
// a nil *Filter, whose Program is empty.
func Compile(s *specs.LinuxSeccomp) (*Filter, error) {
	if s == nil {
		return nil, nil
	}
	def, err := parseAction("linux.seccomp.defaultAction", string(s.DefaultAction), "linux.seccomp.defaultErrnoRet", s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	if def == libseccomp.ActNotify {
		// Every syscall after the load would wait for an agent,
		// including the ones that hand the listener to the agent.
		return nil, fieldErr("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action: the runtime could not hand the listener to the agent")
	}
	if err := checkListener(s); err != nil {
		return nil, err
	}
	sf, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: create filter: %w", err)
	}
	f := &Filter{filter: sf, def: def}
	steps := []func(*specs.LinuxSeccomp) error{
		f.setAttributes,
		f.addArchs,
		f.setFlags,
		f.addSyscalls,
	}
	for _, step := range steps {
		if err := step(s); err != nil {
			sf.Release()
			return nil, err
		}
	}
	if f.prog, err = withStub(f, s); err != nil {
		sf.Release()
		return nil, err
	}
	return f, nil
}

// HasNotify reports whether some rule of the filter is SCMP_ACT_NOTIFY, that
// is whether loading it gives a listener fd.
func (f *Filter) HasNotify() bool {
	return f != nil && f.notify
}

// Ignored lists, one line each naming its field, what Compile left out of
// the filter because this libseccomp cannot express it and leaving it out
// is safe: syscall names it cannot resolve, architectures it cannot add.
// Init may log them.
func (f *Filter) Ignored() []string {
	if f == nil {
		return nil
	}
	return f.ignored
}

// Release frees libseccomp's copy of the filter. A loaded filter stays in
// the kernel and the listener fd stays open. The Filter cannot be used
// afterwards.
func (f *Filter) Release() {
	if f != nil {
		f.filter.Release()
	}
}

// checkListener checks listenerPath and listenerMetadata (config-linux.md
// "Seccomp"). The path itself is the parent's business: it connects to it.
func checkListener(s *specs.LinuxSeccomp) error {
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		return fieldErr("linux.seccomp.listenerMetadata", "set without listenerPath (the spec says it MUST NOT be)")
	}
	if s.ListenerPath != "" {
		return nil
	}
	for i, sc := range s.Syscalls {
		if sc.Action == specs.ActNotify {
			return fieldErr("linux.seccomp.listenerPath", "missing, but syscalls[%d] uses SCMP_ACT_NOTIFY: the listener fd must go to an agent", i)
		}
	}
	return nil
}

// setAttributes sets the filter attributes that do not come from the
// profile.
func (f *Filter) setAttributes(*specs.LinuxSeccomp) error {
	// Init applies process.noNewPrivileges itself; libseccomp would
	// otherwise set no_new_privs for every container.
	if err := f.filter.SetNoNewPrivsBit(false); err != nil {
		return fmt.Errorf("linux.seccomp: clear the no_new_privs attribute: %w", err)
	}
	// A syscall made through an architecture the filter lacks (i386's
	// int 0x80 under an x86_64-only profile) must not run. libseccomp's
	// default kills only the calling thread and leaves a half-dead
	// process; kill the whole process, which reports SIGSYS.
	bad := libseccomp.ActKillProcess
	if apiLevel() < actionAPI[bad] {
		bad = libseccomp.ActKillThread
	}
	if err := f.filter.SetBadArchAction(bad); err != nil {
		return fmt.Errorf("linux.seccomp: set the bad-architecture action: %w", err)
	}
	// Have libseccomp report the kernel's errno (EACCES, EINVAL) rather
	// than its catch-all ECANCELED.
	if err := f.filter.SetRawRC(true); err != nil {
		return fmt.Errorf("linux.seccomp: set the raw return code attribute: %w", err)
	}
	return nil
}

// addArchs adds linux.seccomp.architectures; the native one is always
// there (libseccomp starts with it), as the profile's rules are written
// for it. An architecture this libseccomp cannot add to the filter (one
// it does not know, or one of the other byte order) is left out: leaving
// an architecture out never lets a syscall through, as its syscalls meet
// the bad-architecture action, and such an architecture cannot run on
// this kernel anyway.
func (f *Filter) addArchs(s *specs.LinuxSeccomp) error {
	for i, a := range s.Architectures {
		field := idx("linux.seccomp.architectures", i)
		if _, ok := archs[string(a)]; !ok {
			return fieldErr(field, "unknown architecture %q", a)
		}
		if err := addArch(f.filter, string(a)); err != nil {
			f.ignored = append(f.ignored, fmt.Sprintf("%s: %s ignored: libseccomp %s cannot add it to this filter: %v", field, a, libVersion(), err))
		}
	}
	return nil
}

// setFlags applies linux.seccomp.flags.
func (f *Filter) setFlags(s *specs.LinuxSeccomp) error {
	for i, name := range s.Flags {
		if err := setFlag(f.filter, string(name)); err != nil {
			return &FieldError{Field: idx("linux.seccomp.flags", i), Err: err}
		}
	}
	return nil
}

// addSyscalls adds a rule per name of every linux.seccomp.syscalls entry.
func (f *Filter) addSyscalls(s *specs.LinuxSeccomp) error {
	for i, sc := range s.Syscalls {
		field := idx("linux.seccomp.syscalls", i)
		if err := f.addEntry(field, sc, s.DefaultAction); err != nil {
			return err
		}
	}
	return nil
}

// addEntry adds the rules of one syscalls entry.
func (f *Filter) addEntry(field string, sc specs.LinuxSyscall, defName specs.LinuxSeccompAction) error {
	if len(sc.Names) == 0 {
		return fieldErr(field+".names", "empty: the spec requires at least one name")
	}
	for j, name := range sc.Names {
		if name == "" {
			return fieldErr(idx(field+".names", j), "empty syscall name")
		}
		// Init writes after the filter is loaded (the exec fifo, an
		// error for the parent): each such write would wait for the
		// agent, which may be the one waiting for init. runc refuses
		// it too.
		if name == "write" && sc.Action == specs.ActNotify {
			return fieldErr(idx(field+".names", j), "SCMP_ACT_NOTIFY cannot be used for write: the runtime writes after the filter is loaded")
		}
	}
	act, err := parseAction(field+".action", string(sc.Action), field+".errnoRet", sc.ErrnoRet)
	if err != nil {
		return err
	}
	conds, err := parseArgs(field+".args", sc.Args)
	if err != nil {
		return err
	}
	rs := rules(conds)
	// libseccomp refuses a rule that repeats the default action; such a
	// rule changes nothing, so skip it, as runc does.
	if act == f.def {
		return nil
	}
	for j, name := range sc.Names {
		nf := idx(field+".names", j)
		num, err := libseccomp.GetSyscallFromName(name)
		if errors.Is(err, libseccomp.ErrSyscallDoesNotExist) {
			// config-linux.md "Seccomp" says nothing of names the
			// runtime cannot resolve. Profiles routinely list
			// syscalls newer than the libseccomp at hand (Docker's
			// default one does on older hosts), and runc ignores
			// those. Ignoring a name is safe when the default
			// action that then applies is no more permissive than
			// the rule; when it would let the syscall run instead,
			// the profile cannot be honoured: refuse it.
			if !permissive(act) && permissive(f.def) {
				return fieldErr(nf, "unknown syscall %q: libseccomp %s cannot resolve it, and ignoring it would let the default action %s run it", name, libVersion(), defName)
			}
			f.ignored = append(f.ignored, fmt.Sprintf("%s: unknown syscall %q ignored: libseccomp %s cannot resolve it, so the default action %s applies to it", nf, name, libVersion(), defName))
			continue
		}
		if err != nil {
			return fieldErr(nf, "resolve syscall %q: %w", name, err)
		}
		for _, r := range rs {
			sconds, err := scmpConditions(r)
			if err != nil {
				return fieldErr(field+".args", "%w", err)
			}
			if err := f.filter.AddRuleConditional(num, act, sconds); err != nil {
				return fieldErr(nf, "add rule for %q: %w", name, err)
			}
		}
		if act == libseccomp.ActNotify {
			f.notify = true
		}
	}
	return nil
}

// permissive reports whether an action lets the syscall run.
func permissive(a libseccomp.ScmpAction) bool {
	a &= 0xffff // the low half is the action, the high half its data
	return a == libseccomp.ActAllow || a == libseccomp.ActLog
}

// parseAction resolves an action name and its errnoRet. field and retField
// are the JSON paths of the two.
func parseAction(field, name, retField string, ret *uint) (libseccomp.ScmpAction, error) {
	if name == "" {
		return 0, fieldErr(field, "missing")
	}
	a, ok := actions[name]
	if !ok {
		return 0, fieldErr(field, "unknown action %q", name)
	}
	if need, level := actionAPI[a], apiLevel(); level < need {
		return 0, fieldErr(field, "%s is not supported by this kernel with libseccomp %s (API level %d, needs %d)", name, libVersion(), level, need)
	}
	if a != libseccomp.ActErrno && a != libseccomp.ActTrace {
		// config-linux.md "Seccomp": when the action does not
		// support an errno, the runtime MUST fail.
		if ret != nil {
			return 0, fieldErr(retField, "%s takes no errno: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do", name)
		}
		return a, nil
	}
	code := uint(unix.EPERM) // the spec's default
	if ret != nil {
		code = *ret
	}
	// The kernel keeps 16 bits of data with the action, and clamps an
	// errno to MAX_ERRNO: refuse what it would change.
	limit := uint(0xffff)
	if a == libseccomp.ActErrno {
		limit = 4095
	}
	if code > limit {
		return 0, fieldErr(retField, "%d is out of range for %s (0 to %d)", code, name, limit)
	}
	return a.SetReturnCode(int16(code)), nil
}

// parseArgs checks the args of one syscalls entry; field is their path.
func parseArgs(field string, args []specs.LinuxSeccompArg) ([]cond, error) {
	var conds []cond
	for k, a := range args {
		af := idx(field, k)
		if a.Index > 5 {
			return nil, fieldErr(af+".index", "%d is out of range: a syscall has arguments 0 to 5", a.Index)
		}
		if a.Op == "" {
			return nil, fieldErr(af+".op", "missing")
		}
		o, ok := opNames[string(a.Op)]
		if !ok {
			return nil, fieldErr(af+".op", "unknown operator %q", a.Op)
		}
		// Only the masked comparison has a second operand; a
		// valueTwo elsewhere would be silently dropped.
		if o != opMaskedEQ && a.ValueTwo != 0 {
			return nil, fieldErr(af+".valueTwo", "only SCMP_CMP_MASKED_EQ takes a second value, not %s", a.Op)
		}
		conds = append(conds, cond{arg: a.Index, op: o, value: a.Value, value2: a.ValueTwo})
	}
	return conds, nil
}

// scmpConditions converts one rule's conditions for libseccomp.
func scmpConditions(r []cond) ([]libseccomp.ScmpCondition, error) {
	var out []libseccomp.ScmpCondition
	for _, c := range r {
		values := []uint64{c.value}
		if c.op == opMaskedEQ {
			values = append(values, c.value2)
		}
		sc, err := libseccomp.MakeCondition(c.arg, ops[c.op], values...)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}
