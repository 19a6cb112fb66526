// Command checkcomments finds comments that name what is not there: a
// *.go, *.c, *.h or *.md file that no longer exists (in Go, C, shell, bats
// and Makefile comments, and in the Markdown pages), and, in Go and C
// comments and the pages' `code` spans, a Go or C identifier that nothing
// in the repository declares or uses. Renames leave such references behind and nothing else catches
// them; `make lint` runs this (scripts/lint.sh).
//
// Usage: go run ./scripts/checkcomments [REPO] (default: the current
// directory). It prints one line a finding, FILE:LINE: what, and exits 1
// if there is any.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	specDir, err := specModuleDir(root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkcomments: %v\n", err)
		os.Exit(2)
	}
	findings, err := check(root, specDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkcomments: %v\n", err)
		os.Exit(2)
	}
	for _, f := range findings {
		fmt.Println(f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "checkcomments: %d comment references to what does not exist (fix them, or list a foreign name in %s with why)\n",
			len(findings), allowFile)
		os.Exit(1)
	}
}

// check scans the repository at root and returns its findings, sorted;
// specDir is runtime-spec's module, whose JSON names comments may cite.
func check(root, specDir string) ([]string, error) {
	files, err := repoFiles(root)
	if err != nil {
		return nil, err
	}
	known, err := knownNames(root, specDir, files)
	if err != nil {
		return nil, err
	}
	allowed, err := readAllowList(filepath.Join(root, allowFile))
	if err != nil {
		return nil, err
	}
	for n := range allowed {
		known[n] = true
	}
	isKnown := func(f, id string) bool {
		if prefix, ok := strings.CutSuffix(id, "*"); ok {
			for k := range known {
				if strings.HasPrefix(k, prefix) {
					return true
				}
			}
			return false
		}
		return known[id] || allowed[f+":"+id]
	}
	paths := newPathSet(files)
	var out []finding
	for _, f := range files {
		cs, err := commentsOf(root, f)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			for _, ref := range fileRefs(c.text) {
				if c.noFiles {
					break
				}
				if !paths.resolves(f, ref) && !allowed[ref] && !allowed[f+":"+ref] {
					out = append(out, finding{f, c.line, "names file " + ref + ", which does not exist"})
				}
			}
			if !c.code {
				continue
			}
			for _, id := range identRefs(c.text) {
				if !isKnown(f, id) {
					out = append(out, finding{f, c.line, "names " + id + ", which nothing in the repository declares or uses"})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file < out[j].file
		}
		return out[i].line < out[j].line
	})
	lines := make([]string, len(out))
	for i, f := range out {
		lines[i] = fmt.Sprintf("%s:%d: %s", f.file, f.line, f.what)
	}
	return lines, nil
}

type finding struct {
	file string
	line int
	what string
}
