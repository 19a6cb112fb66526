//go:build linux && cgo && !noseccomp

package seccomp

import (
	"errors"
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// This file maps the spec's names onto libseccomp and the kernel, and says
// what this libseccomp and kernel can do.

// actions maps the spec's action names to libseccomp actions. SCMP_ACT_KILL
// is the historical name of SCMP_ACT_KILL_THREAD (seccomp.h).
var actions = map[string]libseccomp.ScmpAction{
	"SCMP_ACT_KILL":         libseccomp.ActKillThread,
	"SCMP_ACT_KILL_THREAD":  libseccomp.ActKillThread,
	"SCMP_ACT_KILL_PROCESS": libseccomp.ActKillProcess,
	"SCMP_ACT_TRAP":         libseccomp.ActTrap,
	"SCMP_ACT_ERRNO":        libseccomp.ActErrno,
	"SCMP_ACT_TRACE":        libseccomp.ActTrace,
	"SCMP_ACT_ALLOW":        libseccomp.ActAllow,
	"SCMP_ACT_LOG":          libseccomp.ActLog,
	"SCMP_ACT_NOTIFY":       libseccomp.ActNotify,
}

// actionAPI is the libseccomp API level an action needs (seccomp_api_get(3):
// level 3 brings the kill-process and log actions, and libseccomp-golang
// allows notification from level 6, where it can be combined with TSYNC).
// libseccomp computes the level from what the running kernel supports.
var actionAPI = map[libseccomp.ScmpAction]uint{
	libseccomp.ActKillProcess: 3,
	libseccomp.ActLog:         3,
	libseccomp.ActNotify:      6,
}

// ops maps op to libseccomp's comparison operators.
var ops = map[op]libseccomp.ScmpCompareOp{
	opNE:       libseccomp.CompareNotEqual,
	opLT:       libseccomp.CompareLess,
	opLE:       libseccomp.CompareLessOrEqual,
	opEQ:       libseccomp.CompareEqual,
	opGE:       libseccomp.CompareGreaterEqual,
	opGT:       libseccomp.CompareGreater,
	opMaskedEQ: libseccomp.CompareMaskedEqual,
}

// archs maps the spec's architecture names to libseccomp architectures.
var archs = map[string]libseccomp.ScmpArch{
	"SCMP_ARCH_X86":         libseccomp.ArchX86,
	"SCMP_ARCH_X86_64":      libseccomp.ArchAMD64,
	"SCMP_ARCH_X32":         libseccomp.ArchX32,
	"SCMP_ARCH_ARM":         libseccomp.ArchARM,
	"SCMP_ARCH_AARCH64":     libseccomp.ArchARM64,
	"SCMP_ARCH_MIPS":        libseccomp.ArchMIPS,
	"SCMP_ARCH_MIPS64":      libseccomp.ArchMIPS64,
	"SCMP_ARCH_MIPS64N32":   libseccomp.ArchMIPS64N32,
	"SCMP_ARCH_MIPSEL":      libseccomp.ArchMIPSEL,
	"SCMP_ARCH_MIPSEL64":    libseccomp.ArchMIPSEL64,
	"SCMP_ARCH_MIPSEL64N32": libseccomp.ArchMIPSEL64N32,
	"SCMP_ARCH_PPC":         libseccomp.ArchPPC,
	"SCMP_ARCH_PPC64":       libseccomp.ArchPPC64,
	"SCMP_ARCH_PPC64LE":     libseccomp.ArchPPC64LE,
	"SCMP_ARCH_S390":        libseccomp.ArchS390,
	"SCMP_ARCH_S390X":       libseccomp.ArchS390X,
	"SCMP_ARCH_PARISC":      libseccomp.ArchPARISC,
	"SCMP_ARCH_PARISC64":    libseccomp.ArchPARISC64,
	"SCMP_ARCH_RISCV64":     libseccomp.ArchRISCV64,
	"SCMP_ARCH_LOONGARCH64": libseccomp.ArchLOONGARCH64,
	"SCMP_ARCH_M68K":        libseccomp.ArchM68K,
	"SCMP_ARCH_SH":          libseccomp.ArchSH,
	"SCMP_ARCH_SHEB":        libseccomp.ArchSHEB,
}

// kernelFlags maps the spec's flag names to the seccomp(2) flags.
var kernelFlags = map[string]uintptr{
	"SECCOMP_FILTER_FLAG_TSYNC":              unix.SECCOMP_FILTER_FLAG_TSYNC,
	"SECCOMP_FILTER_FLAG_LOG":                unix.SECCOMP_FILTER_FLAG_LOG,
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW":         unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// apiLevel is libseccomp's API level; 0 when libseccomp cannot tell.
func apiLevel() uint {
	level, err := libseccomp.GetAPI()
	if err != nil {
		return 0
	}
	return level
}

// libVersion renders the version of the libseccomp berth is linked with.
func libVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

// kernelHasFlag reports whether the kernel knows the seccomp(2) flag. It
// asks the kernel to install a filter from a NULL program: the kernel
// checks the flags first (EINVAL for one it does not know) and only then
// reads the program (EFAULT), so nothing is ever installed. This is the
// probe libseccomp itself uses.
func kernelHasFlag(flag uintptr) bool {
	// WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
	if flag == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
		flag |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flag, 0)
	return errno == unix.EFAULT
}

// setFlag applies one entry of flags to the filter. Each flag is a filter
// attribute of libseccomp, which passes it to seccomp(2) when it loads the
// filter.
func setFlag(f *libseccomp.ScmpFilter, name string) error {
	flag, ok := kernelFlags[name]
	if !ok {
		return fmt.Errorf("unknown flag %q", name)
	}
	if !kernelHasFlag(flag) {
		return fmt.Errorf("%s is not supported by this kernel", name)
	}
	var err error
	switch name {
	case "SECCOMP_FILTER_FLAG_TSYNC":
		// libseccomp-golang sets TSYNC on every filter it creates
		// (NewFilter), and berth wants it anyway: the Go runtime
		// runs on several threads, and whichever thread ends up
		// calling execve must carry the filter.
		return nil
	case "SECCOMP_FILTER_FLAG_LOG":
		err = f.SetLogBit(true)
	case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
		err = f.SetSSB(true)
	case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
		// Needs libseccomp >= 2.6.0; older ones answer with a
		// VersionError that says so.
		err = f.SetWaitKill(true)
	}
	if err != nil {
		var verr *libseccomp.VersionError
		if errors.As(err, &verr) {
			return fmt.Errorf("%s cannot be expressed with libseccomp %s: %w", name, libVersion(), err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// addArch adds an architecture to the filter.
func addArch(f *libseccomp.ScmpFilter, name string) error {
	a, ok := archs[name]
	if !ok {
		return fmt.Errorf("unknown architecture %q", name)
	}
	return f.AddArch(a)
}
