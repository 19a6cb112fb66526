// Package cgfile holds what both cgroup drivers share: the (file, value)
// pairs that resources render to, and the reading and writing of cgroup
// files. It imports nothing of berth, so the drivers and the manager can
// all use it.
package cgfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/logs"
)

// ErrHierarchy marks a refusal that depends on the host's hierarchy, not on
// the value: a v1-only setting rendered for v2, or the reverse. Such a
// value is valid in config.json, and only the driver of the host refuses
// it (cgroups.CheckResources lets it pass).
var ErrHierarchy = errors.New("not supported by this cgroup hierarchy")

// Hierarchy marks err as ErrHierarchy's, keeping its message.
func Hierarchy(err error) error { return hierarchyError{err} }

type hierarchyError struct{ error }

func (e hierarchyError) Unwrap() error { return e.error }
func (hierarchyError) Is(t error) bool { return t == ErrHierarchy }

// Write is one value for one file of a controller's cgroup directory.
// Field names the config field it comes from, for error messages.
type Write struct {
	File  string
	Value string
	Field string
	// Optional writes are skipped where the kernel lacks the file (kernel
	// memory limits, cpu burst, hugetlb rsvd): the issue's "where the
	// kernel has them".
	Optional bool
	// Fallback is the file that takes the value where the kernel lacks
	// File: cgroup v1 blkio has blkio.weight only with the CFQ scheduler
	// (gone since Linux 5.0), and blkio.bfq.weight with BFQ.
	Fallback string
}

func (w Write) String() string { return w.File + "=" + w.Value }

// Apply writes ws into dir in order. A write the kernel refuses with EINVAL
// or EBUSY is retried once after the others: several pairs of files must be
// written in an order that depends on the current values (memory.limit
// before memory.memsw.limit when lowering, after it when raising; cpu quota
// and period; rt runtime and period), and one retry pass finds that order
// without reading the current values first.
func Apply(dir string, ws []Write) error {
	var retry []Write
	for _, w := range ws {
		err := WriteFile(dir, w.File, w.Value)
		if errors.Is(err, os.ErrNotExist) && w.Fallback != "" {
			w.File, w.Fallback = w.Fallback, w.File
			err = WriteFile(dir, w.File, w.Value)
		}
		if err == nil {
			logs.Debugf("cgroup %s: %s = %q (%s)", dir, w.File, w.Value, w.Field)
			continue
		}
		if w.Optional && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EBUSY) {
			retry = append(retry, w)
			continue
		}
		return writeError(dir, w, err)
	}
	for _, w := range retry {
		if err := WriteFile(dir, w.File, w.Value); err != nil {
			return writeError(dir, w, err)
		}
	}
	return nil
}

func writeError(dir string, w Write, err error) error {
	p := filepath.Join(dir, w.File)
	if errors.Is(err, os.ErrNotExist) {
		if w.Fallback != "" {
			// File and Fallback were swapped when the first was missing
			return fmt.Errorf("%s: the kernel has neither %s nor %s (controller missing, or no CFQ or BFQ I/O scheduler)",
				w.Field, filepath.Join(dir, w.Fallback), p)
		}
		return fmt.Errorf("%s: the kernel has no %s (controller missing or too old)", w.Field, p)
	}
	return fmt.Errorf("%s: write %q to %s: %w", w.Field, w.Value, p, err)
}

// WriteFile writes val to dir/name with a single write(2), as cgroup files
// want (a value split across writes is two values).
func WriteFile(dir, name, val string) error {
	f, err := OpenFile(dir, name, os.O_WRONLY)
	if err != nil {
		return err
	}
	_, err = f.WriteString(val)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadString returns dir/name without its trailing newline.
func ReadString(dir, name string) (string, error) {
	f, err := OpenFile(dir, name, os.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(f)
	return strings.TrimSpace(string(b)), err
}

// ReadUint reads a single number; "max" (v2) and v1's page-rounded
// "unlimited" both read as math.MaxUint64.
func ReadUint(dir, name string) (uint64, error) {
	s, err := ReadString(dir, name)
	if err != nil {
		return 0, err
	}
	return ParseUint(s)
}

// ParseUint parses a cgroup number; "max" is math.MaxUint64, and negative
// values (v1 writes -1 back as a huge number, but some files say -1) are 0.
func ParseUint(s string) (uint64, error) {
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return v, nil
}

// ReadKV reads a flat keyed file ("key value" lines: memory.stat, cpu.stat,
// memory.events, pids.events).
func ReadKV(dir, name string) (map[string]uint64, error) {
	s, err := ReadString(dir, name)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if v, err := ParseUint(f[1]); err == nil {
			out[f[0]] = v
		}
	}
	return out, nil
}

// Exists reports whether dir/name exists (a file a kernel may lack).
func Exists(dir, name string) bool {
	f, err := OpenFile(dir, name, unix.O_PATH)
	if err != nil {
		return false
	}
	_ = f.Close()
	return true
}

// ValidPagesize accepts the names the kernel gives its hugetlb files
// ("2MB", "1GB", "64KB"); anything else could not name a file, and must
// not name one outside the cgroup.
func ValidPagesize(s string) bool {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return false
	}
	switch s[n:] {
	case "KB", "MB", "GB", "TB", "PB":
		return true
	}
	return false
}

// PidsMax is pids.max's value for linux.resources.pids.limit, the same in
// v1 and v2: a negative limit is "max" (config-linux.md "pids"), and 0 is
// written as 1, as runc 1.5 writes it (its internal 0 means "unset", so it
// turns the spec's 0 into the smallest limit: the container's init and no
// other process), so a config means the same pids.max with both runtimes.
func PidsMax(limit int64) string {
	switch {
	case limit < 0:
		return "max"
	case limit == 0:
		return "1"
	}
	return strconv.FormatInt(limit, 10)
}

// DeviceAccess normalises a device rule's access ("rwm" when empty) to the
// letters the kernel knows, r, w and m, in that order. Any other letter is
// left out, as runc 1.5 leaves it out (an "rwx" from a hand-written config
// means "rw"); an access with none of the three grants or denies nothing
// and is an error, as it is in runc.
func DeviceAccess(acc string) (string, error) {
	if acc == "" {
		return "rwm", nil
	}
	out := ""
	for _, c := range "rwm" {
		if strings.ContainsRune(acc, c) {
			out += string(c)
		}
	}
	if out == "" {
		return "", fmt.Errorf("%q has none of r, w and m", acc)
	}
	return out, nil
}
