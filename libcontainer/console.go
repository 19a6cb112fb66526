package libcontainer

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

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
