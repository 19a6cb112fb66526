package fs2

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bpf(2) commands the device filter needs, called directly: a
// library (cilium/ebpf) would add 1.6 MB and some forty packages to
// initialise at every berth command, for six syscalls.
// The attr structs are the leading fields of union bpf_attr
// (include/uapi/linux/bpf.h); the kernel zero-fills the rest. Their
// pointer fields hold the addresses of heap buffers, which Go's collector
// does not move, kept alive until the syscall returns.

type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [unix.BPF_OBJ_NAME_LEN]byte
	progIfindex        uint32
	expectedAttachType uint32
}

type progAttachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

type progQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type getFdByIDAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

type objInfoAttr struct {
	bpfFd   uint32
	infoLen uint32
	info    uint64
}

// progInfo is the start of struct bpf_prog_info, up to the name.
type progInfo struct {
	typ          uint32
	id           uint32
	tag          [8]byte
	jitedLen     uint32
	xlatedLen    uint32
	jitedInsns   uint64
	xlatedInsns  uint64
	loadTime     uint64
	createdByUID uint32
	nrMapIDs     uint32
	mapIDs       uint64
	name         [unix.BPF_OBJ_NAME_LEN]byte
}

func bpf(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return int(r), errno
		}
		return int(r), nil
	}
}

// loadDeviceProgram loads insts as a BPF_PROG_TYPE_CGROUP_DEVICE program
// and returns its fd. When the kernel refuses it, the load is repeated
// with the verifier's log, for the error.
func loadDeviceProgram(prog []insn, name, license string) (int, error) {
	code, err := assemble(prog)
	if err != nil {
		return -1, err
	}
	lic := append([]byte(license), 0)
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(prog)),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&lic[0]))),
	}
	copy(attr.progName[:len(attr.progName)-1], name)
	load := func() (int, error) {
		fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(code)
		runtime.KeepAlive(lic)
		return fd, err
	}
	fd, err := load()
	if errors.Is(err, unix.EPERM) {
		// Before 5.11 programs are charged to RLIMIT_MEMLOCK, often 64 KiB.
		_ = unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})
		fd, err = load()
	}
	if err == nil {
		return fd, nil
	}
	log := make([]byte, 64<<10)
	attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), uint64(uintptr(unsafe.Pointer(&log[0])))
	if fd, lerr := load(); lerr == nil {
		return fd, nil // the second attempt worked
	}
	runtime.KeepAlive(log)
	if n := bytes.IndexByte(log, 0); n > 0 {
		return -1, fmt.Errorf("BPF_PROG_LOAD: %w: %s", err, bytes.TrimSpace(log[:n]))
	}
	return -1, fmt.Errorf("BPF_PROG_LOAD: %w", err)
}

// attachDeviceProgram attaches prog to the cgroup dirFd alongside others
// (BPF_F_ALLOW_MULTI), in place of replace when it is not -1 (atomically,
// BPF_F_REPLACE, 5.6+).
func attachDeviceProgram(dirFd, prog, replace int) error {
	attr := progAttachAttr{
		targetFd:    uint32(dirFd),
		attachBpfFd: uint32(prog),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if replace >= 0 {
		attr.attachFlags |= unix.BPF_F_REPLACE
		attr.replaceBpfFd = uint32(replace)
	}
	_, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

func detachDeviceProgram(dirFd, prog int) error {
	attr := progAttachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(prog), attachType: unix.BPF_CGROUP_DEVICE}
	_, err := bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

// attachedDevicePrograms lists the ids of the device programs attached
// to the cgroup dirFd itself (not those inherited from its parents).
func attachedDevicePrograms(dirFd int) ([]uint32, error) {
	for {
		attr := progQueryAttr{targetFd: uint32(dirFd), attachType: unix.BPF_CGROUP_DEVICE}
		if _, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
			return nil, fmt.Errorf("BPF_PROG_QUERY: %w", err)
		}
		if attr.progCnt == 0 {
			return nil, nil
		}
		ids := make([]uint32, attr.progCnt)
		attr.progIDs = uint64(uintptr(unsafe.Pointer(&ids[0])))
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if errors.Is(err, unix.ENOSPC) {
			continue // one was attached in between
		}
		if err != nil {
			return nil, fmt.Errorf("BPF_PROG_QUERY: %w", err)
		}
		return ids[:attr.progCnt], nil
	}
}

// openProgram returns an fd of the program with this id.
func openProgram(id uint32) (int, error) {
	attr := getFdByIDAttr{id: id}
	return bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
}

// programName is the name the program was loaded with.
func programName(fd int) (string, error) {
	info := new(progInfo)
	attr := objInfoAttr{bpfFd: uint32(fd), infoLen: uint32(unsafe.Sizeof(*info)), info: uint64(uintptr(unsafe.Pointer(info)))}
	_, err := bpf(unix.BPF_OBJ_GET_INFO_BY_FD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(info)
	if err != nil {
		return "", fmt.Errorf("BPF_OBJ_GET_INFO_BY_FD: %w", err)
	}
	name, _, _ := bytes.Cut(info.name[:], []byte{0})
	return string(name), nil
}
