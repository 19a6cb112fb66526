package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A call is one system call of a tracee in a dry run (strace -ff -y: one file per
// tracee, so the order within a file is the tracee's own).
type call struct {
	name string // syscall
	n    int    // its occurrence number in the tracee: strace's when=N
	sig  string // the call site, as far as the arguments tell (see signature)
}

// A fault is one injected run: fail the n-th call of name in every tracee (strace
// counts per tracee).
type fault struct {
	name string
	n    int
	sigs []string // the call sites of the dry run it aims at
}

func (f fault) String() string { return f.name + " #" + itoa(f.n) }

var (
	reDigits   = regexp.MustCompile(`0x[0-9a-f]+|[0-9]+`)
	reCgroupFS = regexp.MustCompile(`(/?sys/fs/cgroup/)[^/"<>]+`)
	// a path in the container (in-root resolution, or after pivot_root) whose last
	// component is one of a list (masked and read-only paths, /dev entries, mount
	// points): one call site whatever the entry
	reInRoot = regexp.MustCompile(`"(/?(?:proc|sys|dev))/([^/"]+)"`)
	reLong   = regexp.MustCompile(`"([^"]{48})[^"]*"`)
)

// signature reduces a strace line to what tells its call site apart: the ID, numbers,
// addresses and fd numbers go; so do the members of lists a loop goes through (cgroup
// hierarchies, masked paths, /dev entries). Two calls with one signature exercise the
// same error path; one of them is enough.
func signature(line, id string) string {
	if i := strings.LastIndex(line, ") = "); i >= 0 {
		line = line[:i+1]
	}
	if id != "" {
		line = strings.ReplaceAll(line, id, "<id>")
	}
	line = reLong.ReplaceAllString(line, `"$1..."`)
	line = reCgroupFS.ReplaceAllString(line, "${1}*")
	line = reInRoot.ReplaceAllStringFunc(line, func(s string) string {
		m := reInRoot.FindStringSubmatch(s)
		switch m[2] {
		case "self", "thread-self", "fs":
			return s
		}
		if reDigits.MatchString(m[2]) && reDigits.FindString(m[2]) == m[2] {
			return s // /proc/<pid>
		}
		return `"` + m[1] + `/*"`
	})
	if strings.HasPrefix(line, "mount(") && (strings.Contains(line, `, "cgroup", `) || strings.Contains(line, `, "cgroup2", `)) {
		// the data names the controller
		if i := strings.LastIndex(line, ", "); i >= 0 {
			line = line[:i] + ", *)"
		}
	}
	if i := strings.IndexByte(line, '('); i > 0 {
		return line[:i] + reDigits.ReplaceAllString(line[i:], "#")
	}
	return reDigits.ReplaceAllString(line, "#")
}

var reExecve = regexp.MustCompile(`^execve\("([^"]*)"`)

// parseTracee reads one tracee's file of a dry run. Calls after the tracee has
// executed something other than berth (the container's process) are not berth's and
// are left out (that execve itself is in).
func parseTracee(path, id string, traced map[string]bool) ([]call, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	var out []call
	for i, line := range strings.Split(string(b), "\n") {
		if i == 0 && strings.HasPrefix(line, `execve("`+berthPath+`"`) {
			continue // strace starting the command: it does not count it for when=N
		}
		i := strings.IndexByte(line, '(')
		if i <= 0 || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "+++") {
			continue
		}
		name := line[:i]
		if !traced[name] {
			continue
		}
		count[name]++
		c := call{name: name, n: count[name], sig: signature(line, id)}
		out = append(out, c)
		if m := reExecve.FindStringSubmatch(line); m != nil && strings.HasSuffix(line, "= 0") && !isBerth(m[1]) {
			break // the execve of the container's process is berth's last call
		}
	}
	return out, nil
}

// isBerth: the path executes berth (the command itself, or init through the sealed fd).
func isBerth(p string) bool {
	return p == berthPath || strings.HasPrefix(p, "/proc/self/fd/")
}

// plan turns a dry run (files prefix.PID) into faults: one for every call site, each
// aimed at the site's last occurrence in its tracee (by then a loop has made the most
// to undo), sharing faults where one when=N hits sites in several tracees at once.
// execve is aimed by path instead: counting would hit the tracee's first execve, which
// is strace running the command itself.
func plan(prefix, id string, traced map[string]bool) ([]fault, int, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(files)
	last := map[string]call{}
	var order []string
	for _, f := range files {
		calls, err := parseTracee(f, id, traced)
		if err != nil {
			return nil, 0, err
		}
		for _, c := range calls {
			if _, ok := last[c.sig]; !ok {
				order = append(order, c.sig)
			}
			last[c.sig] = c
		}
	}
	var faults []fault
	byKey := map[string]int{}
	for _, sig := range order {
		c := last[sig]
		key := c.name + "#" + itoa(c.n)
		f := fault{name: c.name, n: c.n}
		if i, ok := byKey[key]; ok {
			faults[i].sigs = append(faults[i].sigs, sig)
			continue
		}
		f.sigs = []string{sig}
		byKey[key] = len(faults)
		faults = append(faults, f)
	}
	return faults, len(order), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
