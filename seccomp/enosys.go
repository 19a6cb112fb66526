//go:build linux && cgo && !noseccomp

package seccomp

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A syscall newer than every syscall a profile names is one its author
// could not know of. Under a default action that denies, libseccomp's
// filter fails it with the default errno (EPERM), and libc, which falls
// back to an older syscall only on ENOSYS, breaks: glibc's pthread_create
// tries clone3 first. So, as runc does (libcontainer/seccomp/patchbpf),
// berth puts a short cBPF program in front of libseccomp's that answers
// ENOSYS to any syscall numbered above the highest one the profile names
// for the calling architecture, and hands every other call to libseccomp's
// program unchanged.
//
// The stub, for the architectures of the filter (A: the arch word, N: the
// syscall number of struct seccomp_data):
//
//	A = arch
//	for each architecture:   if A != its AUDIT_ARCH: next architecture
//	                         A = nr; if A > its highest: ENOSYS
//	                         go to libseccomp's program
//	go to libseccomp's program
//	ENOSYS: return SECCOMP_RET_ERRNO | ENOSYS
//
// x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry
// __X32_SYSCALL_BIT, which picks the x32 bound.

// auditArchs maps the architectures berth knows the AUDIT_ARCH value of;
// an architecture left out gets no stub (libseccomp's program decides).
var auditArchs = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchAMD64:   unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX86:     unix.AUDIT_ARCH_I386,
	libseccomp.ArchARM:     unix.AUDIT_ARCH_ARM,
	libseccomp.ArchARM64:   unix.AUDIT_ARCH_AARCH64,
	libseccomp.ArchPPC:     unix.AUDIT_ARCH_PPC,
	libseccomp.ArchPPC64:   unix.AUDIT_ARCH_PPC64,
	libseccomp.ArchPPC64LE: unix.AUDIT_ARCH_PPC64LE,
	libseccomp.ArchS390:    unix.AUDIT_ARCH_S390,
	libseccomp.ArchS390X:   unix.AUDIT_ARCH_S390X,
	libseccomp.ArchRISCV64: unix.AUDIT_ARCH_RISCV64,
}

const x32SyscallBit = 0x40000000

// Offsets in struct seccomp_data.
const (
	dataNr   = 0
	dataArch = 4
)

// highestSyscalls returns, for each architecture of the filter (the native
// one and the profile's), the highest syscall number the profile names.
// Names an architecture lacks (libseccomp answers an error or a negative
// pseudo number) do not count.
func highestSyscalls(s *specs.LinuxSeccomp) map[libseccomp.ScmpArch]uint32 {
	archList := []libseccomp.ScmpArch{}
	if native, err := libseccomp.GetNativeArch(); err == nil {
		archList = append(archList, native)
	}
	for _, a := range s.Architectures {
		if sa, ok := archs[string(a)]; ok {
			archList = append(archList, sa)
		}
	}
	out := map[libseccomp.ScmpArch]uint32{}
	for _, a := range archList {
		for _, sc := range s.Syscalls {
			for _, name := range sc.Names {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, a)
				if err != nil || nr < 0 {
					continue
				}
				if cur, ok := out[a]; !ok || uint32(nr) > cur {
					out[a] = uint32(nr)
				}
			}
		}
	}
	return out
}

// needsStub reports whether a profile gets the ENOSYS stub: not when its
// default action lets calls run (an unknown syscall runs anyway), nor when
// the default already answers ENOSYS.
func needsStub(s *specs.LinuxSeccomp, def libseccomp.ScmpAction) bool {
	if permissive(def) {
		return false
	}
	if s.DefaultAction == specs.ActErrno && s.DefaultErrnoRet != nil && *s.DefaultErrnoRet == uint(unix.ENOSYS) {
		return false
	}
	return true
}

// bpfStmt and bpfJump build cBPF instructions (linux/filter.h).
func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func bpfJump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// enosysStub builds the stub for these bounds; nil when there is nothing
// to bound.
func enosysStub(highest map[libseccomp.ScmpArch]uint32) []unix.SockFilter {
	if len(highest) == 0 {
		return nil
	}
	// Jumps to "libseccomp's program" and to "ENOSYS" are recorded as they
	// are emitted and resolved once the stub's length is known.
	type jump struct {
		at       int
		enosys   bool // else: to libseccomp's program
		whenTrue bool // the jt field, else jf (ignored for ja)
	}
	var prog []unix.SockFilter
	var jumps []jump
	emitBound := func(hi uint32) {
		// A = nr already; A > hi: ENOSYS, else libseccomp's program
		jumps = append(jumps, jump{at: len(prog), enosys: true, whenTrue: true}, jump{at: len(prog), whenTrue: false})
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JGT|unix.BPF_K, hi, 0, 0))
	}
	emitToFilter := func() {
		jumps = append(jumps, jump{at: len(prog)})
		prog = append(prog, bpfStmt(unix.BPF_JMP|unix.BPF_JA, 0))
	}
	prog = append(prog, bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, dataArch))
	amd64, hasAMD64 := highest[libseccomp.ArchAMD64]
	x32, hasX32 := highest[libseccomp.ArchX32]
	// A section per AUDIT_ARCH value, in a fixed order.
	for _, a := range []libseccomp.ScmpArch{
		libseccomp.ArchAMD64, libseccomp.ArchX86, libseccomp.ArchARM, libseccomp.ArchARM64,
		libseccomp.ArchPPC, libseccomp.ArchPPC64, libseccomp.ArchPPC64LE, libseccomp.ArchS390, libseccomp.ArchS390X, libseccomp.ArchRISCV64,
	} {
		hi, ok := highest[a]
		if a == libseccomp.ArchAMD64 {
			ok = hasAMD64 || hasX32
		}
		if !ok {
			continue
		}
		// if A != arch: skip the section, whose length is known once
		// it is built
		check := len(prog)
		prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, auditArchs[a], 0, 0))
		prog = append(prog, bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, dataNr))
		if a == libseccomp.ArchAMD64 {
			// an x32 number skips the one x86_64 instruction
			prog = append(prog, bpfJump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, x32SyscallBit, 1, 0))
			if hasAMD64 {
				emitBound(amd64)
			} else {
				emitToFilter()
			}
			if hasX32 {
				emitBound(x32)
			} else {
				emitToFilter()
			}
		} else {
			emitBound(hi)
		}
		prog[check].Jf = uint8(len(prog) - check - 1)
		// the next section compares the arch again
		prog = append(prog, bpfStmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, dataArch))
	}
	// no section matched: libseccomp's program, past ENOSYS
	prog = append(prog, bpfStmt(unix.BPF_JMP|unix.BPF_JA, 1))
	enosys := len(prog)
	prog = append(prog, bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)))
	filterStart := len(prog)
	for _, j := range jumps {
		target := filterStart
		if j.enosys {
			target = enosys
		}
		off := target - j.at - 1
		switch {
		case prog[j.at].Code == unix.BPF_JMP|unix.BPF_JA:
			prog[j.at].K = uint32(off)
		case j.whenTrue:
			prog[j.at].Jt = uint8(off)
		default:
			prog[j.at].Jf = uint8(off)
		}
	}
	return prog
}

// exportBPF returns libseccomp's program for the filter, as the kernel
// takes it. libseccomp 2.5 exports only to an fd: a memfd holds it.
func exportBPF(f *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("berth-seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd for the filter: %w", err)
	}
	file := os.NewFile(uintptr(fd), "berth-seccomp")
	defer func() { _ = file.Close() }()
	if err := f.ExportBPF(file); err != nil {
		return nil, fmt.Errorf("export the filter: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(file)
	if err != nil {
		return nil, err
	}
	const size = 8 // struct sock_filter
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("export the filter: %d bytes is not a whole program", len(raw))
	}
	prog := make([]unix.SockFilter, len(raw)/size)
	for i := range prog {
		b := raw[i*size:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}

// withStub returns the program Program gives instead of libseccomp's own:
// the ENOSYS stub, then libseccomp's program. Nil when the profile needs no
// stub, or when a listener is wanted and the kernel cannot sync threads
// and return the listener at once (SECCOMP_FILTER_FLAG_TSYNC_ESRCH, Linux
// 5.7; a limit of the Go loader this was written for, kept): Program then
// gives libseccomp's own program.
func withStub(f *Filter, s *specs.LinuxSeccomp) ([]unix.SockFilter, error) {
	if !needsStub(s, f.def) {
		return nil, nil
	}
	if f.notify && !kernelHasFlag(unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH) {
		return nil, nil
	}
	stub := enosysStub(highestSyscalls(s))
	if stub == nil {
		return nil, nil
	}
	prog, err := exportBPF(f.filter)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	if len(stub)+len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("linux.seccomp: the filter needs %d instructions, more than the kernel's %d", len(stub)+len(prog), unix.BPF_MAXINSNS)
	}
	return append(stub, prog...), nil
}
