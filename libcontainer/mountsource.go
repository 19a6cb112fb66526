package libcontainer

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Bind sources the container's root cannot reach (in a user namespace it
// is an unprivileged host uid) are opened by the parent, which keeps the
// host's credentials, in the container's mount namespace, and handed to
// init as an O_PATH fd: init binds it through the fd's magic link. The
// mount is then made by init, in the user namespace, so the kernel locks
// the source's flags as for any other bind there. init names only the
// index of the mount; the path is the parent's own config's.
//
//	init                               parent
//	mount-source {msg: index}      ->
//	                                   open mounts[index].source, O_PATH
//	                               <-  mount-source-fd + fd

// sendMountSource is the parent's side: it opens the source of the mount
// init names and sends the fd.
func (sp *spawner) sendMountSource(msg string) error {
	mounts := sp.o.Config.Mounts
	i, err := strconv.Atoi(msg)
	if err != nil || i < 0 || i >= len(mounts) || sp.exec {
		return fmt.Errorf("sync: bad mount-source request %q", msg)
	}
	m := &mounts[i]
	if !m.IsBind() && m.Type != "bind" {
		return fmt.Errorf("sync: mount-source request for mounts[%d], not a bind mount", i)
	}
	if m.IDMap != nil {
		return sp.sendIDMappedSource(i, m)
	}
	fd, err := openInMountNS(sp.pid, m.Source)
	if err != nil {
		return fmt.Errorf("mounts[%d].source: open %s with the runtime's credentials: %w", i, m.Source, err)
	}
	defer unix.Close(fd)
	if err := sendMsg(sp.sock, syncMsg{Type: msgMountSourceFd}, fd); err != nil {
		return sp.initFailed(err)
	}
	return nil
}

// openInMountNS opens path (O_PATH) in the mount namespace of pid, with
// berth's own credentials.
func openInMountNS(pid int, path string) (int, error) {
	return inMountNS(pid, func() (int, error) {
		return unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	})
}

// inMountNS runs fn on a thread of its own in the mount namespace of pid,
// with berth's own credentials, and returns the fd it made.
func inMountNS(pid int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// setns(CLONE_NEWNS) needs a thread with a filesystem context of
		// its own (unshare CLONE_FS). The thread is never unlocked: the Go
		// runtime ends it with this goroutine, so nothing else runs in
		// the container's mount namespace.
		runtime.LockOSThread()
		fd, err := func() (int, error) {
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return -1, os.NewSyscallError("unshare(CLONE_FS)", err)
			}
			nsPath := "/proc/" + strconv.Itoa(pid) + "/ns/mnt"
			ns, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return -1, &os.PathError{Op: "open", Path: nsPath, Err: err}
			}
			defer unix.Close(ns)
			if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
				return -1, fmt.Errorf("join the container's mount namespace: %w", err)
			}
			return fn()
		}()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}
