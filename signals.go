package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// What a foreground run or exec does while its process lives: forward the
// signals berth receives to it, and wait for its exit status.

// followProcess is the end of run and exec. Detached, it lets go of the
// pty and returns nil. In the foreground it proxies the pty (if any),
// forwards signals, and returns the process's exit status.
func followProcess(detach bool, console *os.File, pid int, sigs chan os.Signal) *exitStatus {
	if detach {
		if console != nil {
			_ = console.Close()
		}
		return nil
	}
	if console != nil {
		restore := proxyConsole(console)
		defer restore()
	}
	return &exitStatus{code: waitProcess(pid, sigs)}
}

// waitProcess forwards signals to pid until it exits, reaps whatever else
// is reparented to us, and returns pid's exit status the way a shell would
// (128+signal for a signal).
func waitProcess(pid int, sigs chan os.Signal) int {
	done := make(chan int, 1)
	go func() {
		for {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				done <- 255
				return
			}
			if wpid != pid {
				continue
			}
			switch {
			case ws.Exited():
				done <- ws.ExitStatus()
			case ws.Signaled():
				done <- 128 + int(ws.Signal())
			default:
				continue
			}
			return
		}
	}()
	for {
		select {
		case code := <-done:
			return code
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
				continue
			case unix.SIGWINCH:
				resizeConsole()
				continue
			}
			_ = unix.Kill(pid, sig)
		}
	}
}
