package main

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The pty of a foreground run or exec without --console-socket: berth
// copies between its own stdio and the pty master, and passes on its
// terminal's size.

// proxyConsole copies between our stdio and the pty master, with our
// terminal (if any) in raw mode; the returned func restores it.
func proxyConsole(master *os.File) func() {
	consoleMaster = master
	var restore func()
	if st, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		raw := *st
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		if unix.IoctlSetTermios(0, unix.TCSETS, &raw) == nil {
			restore = func() { _ = unix.IoctlSetTermios(0, unix.TCSETS, st) }
		}
		resizeConsole()
	}
	go func() { _, _ = io.Copy(master, os.Stdin) }()
	out := make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, master)
		close(out)
	}()
	return func() {
		// Drain what the container wrote before it exited (EIO ends it);
		// a process that escaped with the slave open must not hang us.
		select {
		case <-out:
		case <-time.After(time.Second):
		}
		if restore != nil {
			restore()
		}
	}
}

var consoleMaster *os.File

func resizeConsole() {
	if consoleMaster == nil {
		return
	}
	if ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ); err == nil {
		_ = unix.IoctlSetWinsize(int(consoleMaster.Fd()), unix.TIOCSWINSZ, ws)
	}
}
