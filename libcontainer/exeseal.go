package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CVE-2019-5736: a process in the container that runs the runtime's own
// binary (a "#!/proc/self/exe" script exec'd by init, or /proc/<init>/exe)
// can hold it open and write to it once the runtime has exited, replacing
// the host's berth. runc copies the whole binary into a sealed memfd for
// every container; that costs the binary's size in time and memory.
//
// berth seals it for free instead: init is executed from a detached,
// read-only bind mount of the binary (open_tree(OPEN_TREE_CLONE) +
// mount_setattr(MOUNT_ATTR_RDONLY)). /proc/<pid>/exe of init, and of
// anything exec'd through it, then names the file on that read-only mount:
// opening it for writing fails with EROFS, whatever the host file allows.
// The mount is in no namespace's tree; it lives as long as a process runs
// from it.
//
// open_tree needs CAP_SYS_ADMIN over the caller's mount namespace, which an
// unprivileged user lacks. Then the binary is copied into a memfd sealed
// against writes (runc's way): the container's root is the caller's own uid,
// so a binary the caller can write (one in its home) would otherwise be
// writable from the container.

// sealedExe returns the path to exec init from, and the fd that keeps it
// (close it once the child has started).
func sealedExe() (string, *os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if errors.Is(err, unix.EPERM) {
		return memfdExe()
	}
	if err != nil {
		return "", nil, fmt.Errorf("seal berth binary: open_tree: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOSUID}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return "", nil, fmt.Errorf("seal berth binary: mount_setattr: %w", err)
	}
	// The child resolves this in its own fd table, a copy of ours at fork:
	// the fd is there until its execve, which is all the path needs.
	return "/proc/self/fd/" + strconv.Itoa(fd), os.NewFile(uintptr(fd), "berth-sealed"), nil
}

// memfdExe copies the binary into a memfd and seals it: no write, resize or
// further seal is possible, whoever opens /proc/<pid>/exe.
func memfdExe() (string, *os.File, error) {
	// MFD_EXEC: where vm.memfd_noexec asks for it (Linux 6.3+); older
	// kernels refuse the unknown flag and make executable memfds anyway.
	fd, err := unix.MemfdCreate("berth", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("berth", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return "", nil, fmt.Errorf("seal berth binary: memfd_create: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "berth-sealed")
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		_ = mem.Close()
		return "", nil, fmt.Errorf("seal berth binary: %w", err)
	}
	defer func() { _ = exe.Close() }()
	if _, err := io.Copy(mem, exe); err != nil {
		_ = mem.Close()
		return "", nil, fmt.Errorf("seal berth binary: copy: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		_ = mem.Close()
		return "", nil, fmt.Errorf("seal berth binary: add seals: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(fd), mem, nil
}
