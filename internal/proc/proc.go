// Package proc reads what berth needs from /proc: a process's start time,
// which together with its pid names it uniquely (a recycled pid has another).
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// StartTime returns field 22 of /proc/<pid>/stat (clock ticks since boot).
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat: too few fields", pid)
	}
	return strconv.ParseUint(string(fields[19]), 10, 64)
}

// State returns the one-letter state of the process (R, S, Z, ...).
func State(pid int) (byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return b[i+2], nil
}

// Alive reports whether pid is the same process that started at start and
// has not exited (a zombie counts as exited).
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := StartTime(pid)
	if err != nil || st != start {
		return false
	}
	s, err := State(pid)
	return err == nil && s != 'Z' && s != 'X'
}

// InUserNS reports whether this process runs in a user namespace other
// than the host's initial one, which maps all 2^32-1 ids onto themselves.
func InUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return !initialUIDMap(b)
}

func initialUIDMap(b []byte) bool {
	f := bytes.Fields(b)
	return len(f) == 3 && string(f[0]) == "0" && string(f[1]) == "0" && string(f[2]) == "4294967295"
}
