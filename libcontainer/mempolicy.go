package libcontainer

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// nodemaskBits is the size of the nodemask init passes: the kernel's
// MAX_NUMNODES (specconv refuses nodes beyond it).
const nodemaskBits = 1024

// setMemoryPolicy applies linux.memoryPolicy to init's thread, the one
// that execs the process (init locks it): a memory policy is a thread's,
// and execve keeps it. It runs for exec too, as in runc, so that every
// process of the container allocates under the same policy.
func setMemoryPolicy(mp *configs.MemoryPolicy) error {
	if mp == nil {
		return nil
	}
	var mask [nodemaskBits / 64]uint64
	for _, n := range mp.Nodes {
		if n < 0 || n >= nodemaskBits {
			return fmt.Errorf("linux.memoryPolicy: node %d out of range", n)
		}
		mask[n/64] |= 1 << (n % 64)
	}
	// maxnode counts one more than the bits the kernel reads (it
	// decrements it first, mm/mempolicy.c get_nodes), so that node 1023
	// is not cut off.
	for {
		_, _, errno := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mp.Mode|mp.Flags),
			uintptr(unsafe.Pointer(&mask[0])), nodemaskBits+1)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL:
			// The nodes passed validation: the host lacks them (not
			// online, or outside the cpuset's mems), or its kernel the
			// mode or flag.
			return fmt.Errorf("linux.memoryPolicy: set_mempolicy %s: %w (nodes not online or not in the container's cpuset mems, or a mode or flag this kernel lacks)", mp.Desc, errno)
		default:
			return fmt.Errorf("linux.memoryPolicy: set_mempolicy %s: %w", mp.Desc, errno)
		}
	}
}
