package libcontainer

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// setupConsole opens a pty in the container's own devpts (so the container
// can reopen it by its /dev/pts name), makes the slave the controlling
// terminal and stdio, and sends the master to the parent.
func setupConsole(sock *os.File, p *configs.Process) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("ptsname: %w", err)
	}
	if p.ConsoleWidth > 0 && p.ConsoleHeight > 0 {
		ws := &unix.Winsize{Row: p.ConsoleHeight, Col: p.ConsoleWidth}
		if err := unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set console size: %w", err)
		}
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	slave, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	// The user's process will be a non-root user maybe: let it own its tty.
	_ = unix.Fchown(slave, int(p.UID), -1)
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup %s: %w", name, err)
		}
	}
	if slave > 2 {
		unix.Close(slave)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %s the controlling terminal: %w", name, err)
	}
	if err := sendMsg(sock, syncMsg{Type: msgConsole, Msg: name}, master); err != nil {
		return err
	}
	// The parent may change the pty's settings: wait until it has, so
	// that nothing the process writes comes before.
	_, err = expect(sock, msgConsoleDone)
	return err
}

// handleConsole hands the pty master on: to the --console-socket, or keeps
// it for a foreground run to proxy.
func (sp *spawner) handleConsole(fd int, name string) error {
	if fd < 0 {
		return fmt.Errorf("console: init sent no pty")
	}
	master := os.NewFile(uintptr(fd), name)
	if sp.o.ConsoleSocket == "" {
		// berth proxies the pty itself (a foreground run or exec -t):
		// as runc, it clears ONLCR, so the output carries "\n" as the
		// process wrote it, not "\r\n" (the caller's own terminal, in
		// raw mode, passes it on untouched).
		if err := clearONLCR(master); err != nil {
			_ = master.Close()
			return err
		}
		sp.console = master
		return nil
	}
	defer func() { _ = master.Close() }()
	return SendConsole(sp.o.ConsoleSocket, master)
}

// SendConsole connects to the unix socket path and sends the pty master
// with SCM_RIGHTS; the payload is the pty's name, as runc sends it.
func SendConsole(path string, master *os.File) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("--console-socket %s: %w", path, err)
	}
	defer func() { _ = conn.Close() }()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("--console-socket %s: not a unix socket", path)
	}
	if _, _, err := uc.WriteMsgUnix([]byte(master.Name()), unix.UnixRights(int(master.Fd())), nil); err != nil {
		return fmt.Errorf("--console-socket %s: send pty: %w", path, err)
	}
	return nil
}

// clearONLCR turns off the output mapping of "\n" to "\r\n" on the pty
// (master and slave share one set of termios).
func clearONLCR(master *os.File) error {
	t, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		return fmt.Errorf("console: get termios: %w", err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(int(master.Fd()), unix.TCSETS, t); err != nil {
		return fmt.Errorf("console: clear ONLCR: %w", err)
	}
	return nil
}
