// Package mountinfo parses /proc/PID/mountinfo, proc_pid_mountinfo(5): one
// mount a line,
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	(1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
//
// mount id, parent id, major:minor, root, mount point, mount options, zero
// or more optional fields ("shared:N", "master:N", "propagate_from:N",
// "unbindable"), a lone "-", filesystem type, source, super options. The
// kernel escapes space, tab, newline and backslash in the text fields as
// \ooo (octal), so a line always splits on blanks.
package mountinfo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Info is one line of a mountinfo file, with its text fields unescaped.
type Info struct {
	ID           int      // (1) unique id of the mount (what statx STATX_MNT_ID returns)
	Parent       int      // (2) the parent mount's id (itself at the top of the tree)
	Major, Minor int      // (3) st_dev of files on the filesystem
	Root         string   // (4) the directory of the filesystem that is the mount's root
	MountPoint   string   // (5) relative to the reader's root
	Options      string   // (6) per-mount options ("rw,nosuid")
	Optional     []string // (7) "shared:N", "master:N", ...; nil if none
	FSType       string   // (9) "ext4", "fuse.sshfs"
	Source       string   // (10) filesystem-specific ("/dev/sda1", "none")
	SuperOptions string   // (11) per-superblock options
}

// Read parses the mountinfo file at path ("/proc/self/mountinfo",
// "/proc/thread-self/mountinfo").
func Read(path string) ([]Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	infos, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return infos, nil
}

// Parse reads every line of r. A line that is not a mountinfo line is an
// error naming its number: the kernel writes none, so it means that r is not
// what the caller thought.
func Parse(r io.Reader) ([]Info, error) {
	var out []Info
	sc := bufio.NewScanner(r)
	// Lines with long super options (overlay's lowerdir lists) exceed
	// bufio's default 64 KiB.
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		if sc.Text() == "" {
			continue
		}
		info, err := ParseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, info)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return out, nil
}

// ParseLine parses one line, without its newline.
func ParseLine(line string) (Info, error) {
	var in Info
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	// Six fields before the separator at least, and three after it.
	if sep < 0 || len(f) < sep+4 {
		return in, fmt.Errorf("mountinfo line %q: want 6 fields, optional fields, \"-\" and 3 fields", line)
	}
	var err error
	if in.ID, err = strconv.Atoi(f[0]); err != nil {
		return in, fmt.Errorf("mountinfo line %q: mount id: %w", line, err)
	}
	if in.Parent, err = strconv.Atoi(f[1]); err != nil {
		return in, fmt.Errorf("mountinfo line %q: parent id: %w", line, err)
	}
	maj, min, ok := strings.Cut(f[2], ":")
	if !ok {
		return in, fmt.Errorf("mountinfo line %q: major:minor %q", line, f[2])
	}
	if in.Major, err = strconv.Atoi(maj); err != nil {
		return in, fmt.Errorf("mountinfo line %q: major: %w", line, err)
	}
	if in.Minor, err = strconv.Atoi(min); err != nil {
		return in, fmt.Errorf("mountinfo line %q: minor: %w", line, err)
	}
	in.Root = Unescape(f[3])
	in.MountPoint = Unescape(f[4])
	in.Options = f[5]
	if sep > 6 {
		in.Optional = append([]string(nil), f[6:sep]...)
	}
	in.FSType = Unescape(f[sep+1])
	in.Source = Unescape(f[sep+2])
	// Super options never hold a blank (escaped), but join what follows
	// anyway, so that nothing of the line is dropped.
	in.SuperOptions = Unescape(strings.Join(f[sep+3:], " "))
	return in, nil
}

// Unescape undoes the kernel's \ooo escapes (a backslash and three octal
// digits, "\040" for a space), anywhere in s, the end of s included. A
// backslash not followed by three octal digits is kept as it is.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3' {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
