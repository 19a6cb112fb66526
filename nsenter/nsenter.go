// Package nsenter holds the C stage that runs before the Go runtime in the
// container's init process. Go cannot call setns(2) for user or mount
// namespaces, nor unshare(CLONE_NEWUSER), once it has started threads, so
// these happen in a constructor while the process is still single-threaded.
// Importing this package (only init.go does) links the constructor in; it does
// nothing unless the process was started as berth's init. See README.md.
package nsenter

/*
#cgo CFLAGS: -Wall -Werror -O2
extern void berth_nsexec(void);
void __attribute__((constructor)) berth_nsenter_init(void) {
	berth_nsexec();
}
*/
import "C"
