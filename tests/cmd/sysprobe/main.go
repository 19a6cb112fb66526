// Command sysprobe is a test helper for berth's integration tests: it makes raw
// syscalls and prints what each returned, so that a test can see what a seccomp filter
// answers to syscalls a profile does or does not name.
//
// Usage:
//
//	sysprobe NR...
//
// For each syscall number NR it calls syscall(NR, 0, 0, 0) and prints "NR=ok" or
// "NR=ERRNO" (the errno's name, ENOSYS, EPERM, ...), one a line. With all arguments 0
// the syscalls it is meant for fail harmlessly (clone3 and pidfd_open with EINVAL or
// EFAULT) when the filter lets them through.
package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

func main() {
	for _, a := range os.Args[1:] {
		nr, err := strconv.ParseUint(a, 10, 32)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sysprobe: %q is not a syscall number\n", a)
			os.Exit(2)
		}
		_, _, errno := unix.RawSyscall(uintptr(nr), 0, 0, 0)
		res := "ok"
		if errno != 0 {
			res = unix.ErrnoName(errno)
		}
		fmt.Printf("%d=%s\n", nr, res)
	}
}
