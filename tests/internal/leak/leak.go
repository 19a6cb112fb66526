// Package leak snapshots what a test of berth could have left on the host, and
// compares snapshots. Everything is SCOPED to what the test can have made, since other
// people run containers on the same machine, and strict within that scope. A snapshot
// is one line per thing, "KIND<TAB>KEY<TAB>DETAIL", sorted:
//
//	mount   a mount point under Paths, or with a path component starting with an ID
//	cgroup  a directory, on every hierarchy under /sys/fs/cgroup, with a path component
//	        starting with an ID (and everything below it)
//	state   anything under a Roots directory, and /run/berth/<ID>*
//	proc    a process, zombies included, unless the host's init is about to reap them
//	        (their parent is pid 1): a descendant of Parent ("child"); one in a cgroup
//	        named after an ID ("cgroup"); a berth init whose environment names an ID
//	        (_BERTH_ID, until it execs: "env"); one whose command line names an ID or a
//	        Paths directory ("cmdline"). The key is pid:starttime; DETAIL is the state
//	        letter, why, and the command line.
//	netns   a network namespace a process in scope is in, other than Parent's; and
//	        /run/netns/<ID>*
//	fd      an open fd of Parent and what it points to
package leak

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-runtime/berth/internal/mountinfo"
)

// Scope is what a test can have made.
type Scope struct {
	IDs   []string // container ID prefixes
	Paths []string // path prefixes: bundles, files
	Roots []string // --root directories
	// Parent is the long-lived parent whose fds and descendants are watched.
	Parent int
}

// namesID: a path component of p starts with one of the IDs.
func (s *Scope) namesID(p string) bool {
	for _, c := range strings.Split(p, "/") {
		for _, id := range s.IDs {
			if c != "" && strings.HasPrefix(c, id) {
				return true
			}
		}
	}
	return false
}

func (s *Scope) underPaths(p string) bool {
	for _, d := range s.Paths {
		if p == d || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// Snapshot returns the scoped snapshot of the host, sorted.
func (s *Scope) Snapshot() []string {
	var out []string
	out = append(out, s.mounts()...)
	out = append(out, s.cgroups()...)
	out = append(out, s.state()...)
	out = append(out, s.procs()...)
	out = append(out, s.fds()...)
	out = append(out, s.hostDevices()...)
	sort.Strings(out)
	return out
}

func (s *Scope) mounts() []string {
	infos, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return []string{"error\tmountinfo\t" + err.Error()}
	}
	var out []string
	for _, in := range infos {
		if !s.underPaths(in.MountPoint) && !s.namesID(in.MountPoint) {
			continue
		}
		out = append(out, "mount\t"+in.MountPoint+"\t"+in.FSType+" "+in.Source)
	}
	return out
}

func (s *Scope) cgroups() []string {
	var out []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if s.namesID(e.Name()) {
				_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
					if err == nil && d.IsDir() {
						out = append(out, "cgroup\t"+q+"\t-")
					}
					return nil
				})
				continue
			}
			if depth < 10 {
				walk(p, depth+1)
			}
		}
	}
	walk("/sys/fs/cgroup", 0)
	return out
}

func (s *Scope) state() []string {
	var out []string
	for _, r := range s.Roots {
		_ = filepath.WalkDir(r, func(p string, d fs.DirEntry, err error) error {
			if err == nil && p != r {
				out = append(out, "state\t"+p+"\t-")
			}
			return nil
		})
	}
	for _, id := range s.IDs {
		ms, _ := filepath.Glob("/run/berth/" + id + "*")
		for _, m := range ms {
			out = append(out, "state\t"+m+"\t-")
		}
	}
	return out
}

type procInfo struct {
	pid, ppid int
	state     string
	start     string
}

func readStat(pid int) (procInfo, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return procInfo{pid: pid, ppid: ppid, state: f[0], start: f[19]}, true
}

func (s *Scope) procs() []string {
	ents, _ := os.ReadDir("/proc")
	infos := map[int]procInfo{}
	kids := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pi, ok := readStat(pid); ok {
			infos[pid] = pi
			kids[pi.ppid] = append(kids[pi.ppid], pid)
		}
	}
	// This process and its ancestors up to the parent are the snapshot's plumbing.
	skip := map[int]bool{s.Parent: true}
	for p := os.Getpid(); p > 1 && p != s.Parent; p = infos[p].ppid {
		skip[p] = true
		if _, ok := infos[p]; !ok {
			break
		}
	}
	inScope := map[int]bool{}
	for q := []int{s.Parent}; len(q) > 0; q = q[1:] {
		for _, k := range kids[q[0]] {
			inScope[k] = true
			q = append(q, k)
		}
	}
	var out []string
	hostNet, _ := os.Readlink("/proc/" + strconv.Itoa(s.Parent) + "/ns/net")
	for pid := range infos {
		if skip[pid] {
			continue
		}
		base := "/proc/" + strconv.Itoa(pid) + "/"
		cmd, _ := os.ReadFile(base + "cmdline")
		cmdline := strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		why := "child"
		if !inScope[pid] {
			if why = s.procNamesUs(base, cmdline); why == "" {
				continue
			}
		}
		pi := infos[pid]
		if pi.state == "Z" && pi.ppid == 1 {
			// Dead, and given to the host's init, which reaps it when it gets to it
			// (on some VMs once a second): nothing of it is left but the pid.
			continue
		}
		if len(cmdline) > 200 {
			cmdline = cmdline[:200]
		}
		out = append(out, fmt.Sprintf("proc\t%d:%s\t%s %s: %s", pid, pi.start, pi.state, why, cmdline))
		if ns, err := os.Readlink(base + "ns/net"); err == nil && ns != hostNet {
			out = append(out, fmt.Sprintf("netns\t%s\tof %d", ns, pid))
		}
	}
	for _, id := range s.IDs {
		ms, _ := filepath.Glob("/run/netns/" + id + "*")
		for _, m := range ms {
			out = append(out, "netns\t"+m+"\t-")
		}
	}
	return out
}

// procNamesUs says whether the process's cgroup, berth-init environment or command
// line names an ID or a path of the test ("cgroup", "env", "cmdline"), or not ("").
func (s *Scope) procNamesUs(base, cmdline string) string {
	if cg, err := os.ReadFile(base + "cgroup"); err == nil {
		for _, l := range strings.Split(string(cg), "\n") {
			if _, p, ok := strings.Cut(l, ":"); ok {
				if _, p, ok = strings.Cut(p, ":"); ok && s.namesID(p) {
					return "cgroup"
				}
			}
		}
	}
	if env, err := os.ReadFile(base + "environ"); err == nil {
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("_BERTH_ID=")); ok && s.namesID(string(v)) {
				return "env"
			}
		}
	}
	for _, w := range strings.Fields(cmdline) {
		if s.underPaths(w) || strings.Contains(w, "/") && s.namesID(w) {
			return "cmdline"
		}
		for _, id := range s.IDs {
			if strings.HasPrefix(w, id) {
				return "cmdline"
			}
		}
	}
	return ""
}

// Killable: a process line of a snapshot that is surely the test's own (a descendant
// of Parent, or in a container's cgroup, or a berth init of one), not merely one that
// names the test's paths (which may be a caller's).
func Killable(line string) (pid int, ok bool) {
	f := strings.SplitN(line, "\t", 3)
	if len(f) != 3 || f[0] != "proc" {
		return 0, false
	}
	_, why, _ := strings.Cut(f[2], " ")
	why, _, _ = strings.Cut(why, ":")
	if why == "cmdline" {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.SplitN(f[1], ":", 2)[0])
	return pid, err == nil
}

func (s *Scope) fds() []string {
	dir := "/proc/" + strconv.Itoa(s.Parent) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return []string{"error\t" + dir + "\t" + err.Error()}
	}
	var out []string
	for _, e := range ents {
		t, _ := os.Readlink(filepath.Join(dir, e.Name()))
		out = append(out, "fd\t"+e.Name()+"\t"+t)
	}
	return out
}

func key(l string) string {
	f := strings.SplitN(l, "\t", 3)
	if len(f) < 2 {
		return l
	}
	return f[0] + "\t" + f[1]
}

// Diff returns the lines of after whose kind and key before has not (things that went
// away are fine), and processes that have become zombies since.
func Diff(before, after []string) []string {
	seen := map[string]bool{}
	for _, l := range before {
		seen[key(l)] = true
	}
	var out []string
	for _, l := range after {
		f := strings.SplitN(l, "\t", 3)
		zombie := len(f) == 3 && f[0] == "proc" && strings.HasPrefix(f[2], "Z ")
		if !seen[key(l)] || zombie && !contains(before, l) {
			out = append(out, l)
		}
	}
	return out
}

func contains(ls []string, l string) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}
