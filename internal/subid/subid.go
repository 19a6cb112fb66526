// Package subid reads /etc/subuid and /etc/subgid (subuid(5), subgid(5)):
// the ranges of host ids each user may map into a user namespace through
// the setuid helpers newuidmap and newgidmap. berth checks a mapping
// against them first, so that a refusal names the id and the file instead
// of arriving as the helper's exit status.
package subid

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Range is Count ids from Start.
type Range struct {
	Start, Count uint64
}

// End is one past the last id of the range.
func (r Range) End() uint64 { return r.Start + r.Count }

func (r Range) String() string {
	switch r.Count {
	case 0:
		return fmt.Sprintf("%d (empty)", r.Start)
	case 1:
		return fmt.Sprint(r.Start)
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End()-1)
}

// Parse reads a subuid/subgid file and returns the ranges of the user
// with the given name or numeric id (entries may use either), in file
// order. Malformed lines are skipped, as shadow's own parser does.
func Parse(r io.Reader, name string, id int) ([]Range, error) {
	num := strconv.Itoa(id)
	var out []Range
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 || (f[0] != name && f[0] != num) {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			continue
		}
		out = append(out, Range{Start: start, Count: count})
	}
	return out, sc.Err()
}

// Read parses file (/etc/subuid or /etc/subgid) for a user. A missing
// file means no ranges.
func Read(file, name string, id int) ([]Range, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return Parse(f, name, id)
}

// Covers reports whether [start, start+count) lies within the union of
// ranges (adjacent entries together may cover a mapping).
func Covers(ranges []Range, start, count uint64) bool {
	rs := append([]Range(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	pos, end := start, start+count
	for _, r := range rs {
		if pos >= end {
			break
		}
		if r.Start <= pos && r.End() > pos {
			pos = r.End()
		}
	}
	return pos >= end
}
