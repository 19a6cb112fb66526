package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// allowFile lists names that comments may cite though the repository has
// none of them: another project's files and functions (runtime-spec's
// pages, the kernel's sources, system calls), product names whose case
// looks like a Go identifier.
const allowFile = "scripts/checkcomments/allow.txt"

// comment is one line of a comment: its text, its line in the file, and
// whether it is a Go or C comment (whose identifiers are checked too).
type comment struct {
	text string
	line int
	code bool
	// noFiles: the line's file references are checked with another copy.
	noFiles bool
}

// skipDirs are not the repository's own files: the build cache, git, the
// conformance suite's checkout.
var skipDirs = map[string]bool{".git": true, ".cache": true, ".build": true}

// repoFiles lists the repository's files, relative to root, with slashes.
func repoFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}

// pathSet answers whether a file named in a comment exists.
type pathSet struct {
	all   map[string]bool
	bases map[string]bool
}

func newPathSet(files []string) *pathSet {
	s := &pathSet{all: map[string]bool{}, bases: map[string]bool{}}
	for _, f := range files {
		s.all[f] = true
		s.bases[path.Base(f)] = true
	}
	return s
}

// resolves: ref is a file of the repository, named by its base name, by
// its path from the root, from the citing file's directory, or by the
// tail of its path ("rootfs/compile.go").
func (s *pathSet) resolves(from, ref string) bool {
	if !strings.Contains(ref, "/") {
		return s.bases[ref]
	}
	ref = strings.TrimPrefix(ref, "./")
	if s.all[ref] || s.all[path.Join(path.Dir(from), ref)] {
		return true
	}
	for f := range s.all {
		if strings.HasSuffix(f, "/"+ref) {
			return true
		}
	}
	return false
}

// commentsOf returns the comment lines of file f: Go and C comments, the
// # lines of shell, bats, Makefile and YAML files, and every line of a
// Markdown page (with its `code` spans again, as code whose identifiers
// are checked). Other files have none.
func commentsOf(root, f string) ([]comment, error) {
	name := path.Base(f)
	switch ext := path.Ext(name); {
	case ext == ".go":
		return goComments(filepath.Join(root, f))
	case ext == ".c" || ext == ".h":
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		return cComments(string(b)), nil
	case ext == ".md":
		cs, err := lines(filepath.Join(root, f), func(l string) (string, bool) { return l, true })
		var out []comment
		for _, c := range cs {
			out = append(out, c)
			if spans := codeSpanRE.FindAllString(c.text, -1); len(spans) > 0 {
				out = append(out, comment{text: strings.Join(spans, " "), line: c.line, code: true, noFiles: true})
			}
		}
		return out, err
	case ext == ".sh" || ext == ".bash" || ext == ".bats" || ext == ".yml" || name == "Makefile" || f == ".ci/run":
		return lines(filepath.Join(root, f), hashComment)
	}
	return nil, nil
}

// hashComment is the text of a whole-line # comment (not a #! line).
func hashComment(l string) (string, bool) {
	t := strings.TrimSpace(l)
	if strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "#!") {
		return t[1:], true
	}
	return "", false
}

func lines(p string, pick func(string) (string, bool)) ([]comment, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var out []comment
	for n, l := range strings.Split(string(b), "\n") {
		if t, ok := pick(l); ok {
			out = append(out, comment{text: t, line: n + 1})
		}
	}
	return out, nil
}

func goComments(p string) ([]comment, error) {
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	// cgo's preamble is C code in a comment, compiled, not prose.
	preamble := map[*ast.CommentGroup]bool{}
	for _, imp := range af.Imports {
		if imp.Path.Value == `"C"` {
			preamble[imp.Doc] = true
			if gd := importDecl(af, imp); gd != nil {
				preamble[gd.Doc] = true
			}
		}
	}
	var out []comment
	for _, g := range af.Comments {
		if preamble[g] {
			continue
		}
		for _, c := range g.List {
			line := fset.Position(c.Pos()).Line
			// Directives (//go:build, //nolint:...) are not prose.
			if strings.HasPrefix(c.Text, "//go:") || strings.HasPrefix(c.Text, "//nolint") {
				continue
			}
			for i, l := range strings.Split(c.Text, "\n") {
				out = append(out, comment{text: l, line: line + i, code: true})
			}
		}
	}
	return out, nil
}

// importDecl is the import declaration that holds spec: an
// unparenthesised import "C" carries its preamble as the declaration's doc.
func importDecl(af *ast.File, spec *ast.ImportSpec) *ast.GenDecl {
	for _, d := range af.Decls {
		if gd, ok := d.(*ast.GenDecl); ok {
			for _, sp := range gd.Specs {
				if sp == spec {
					return gd
				}
			}
		}
	}
	return nil
}

// cComments splits C source into its comment lines, stepping over string
// and character literals.
func cComments(src string) []comment {
	cs, _ := splitC(src)
	return cs
}

// cCode is C source without its comments: the names it really uses.
func cCode(src string) string {
	_, code := splitC(src)
	return code
}

func splitC(src string) ([]comment, string) {
	var out []comment
	var code strings.Builder
	line := 1
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '"' || src[i] == '\'':
			start, q := i, src[i]
			for i++; i < len(src) && src[i] != q && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			code.WriteString(src[start:min(i+1, len(src))])
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			out = append(out, comment{text: src[i : i+end], line: line, code: true})
			i += end - 1
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i:], "*/")
			if end < 0 {
				end = len(src) - i
			}
			for k, l := range strings.Split(src[i:i+end], "\n") {
				out = append(out, comment{text: l, line: line + k, code: true})
			}
			line += strings.Count(src[i:i+end], "\n")
			code.WriteByte(' ')
			i += end + 1
		default:
			if src[i] == '\n' {
				line++
			}
			code.WriteByte(src[i])
		}
	}
	return out, code.String()
}

var (
	fileRefRE    = regexp.MustCompile(`[A-Za-z0-9_.\-/]*[A-Za-z0-9_\-]\.(?:go|c|h|md)\b`)
	wordRE       = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`)
	humpRE       = regexp.MustCompile(`[a-z0-9][A-Z]`)
	jsonTagRE    = regexp.MustCompile(`json:"([A-Za-z0-9_]+)`)
	codeSpanRE   = regexp.MustCompile("`[^`]+`")
	cWordRE      = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
	specStringRE = regexp.MustCompile(`"([^"\n]*)"`)
)

// fileRefs are the *.go, *.c and *.h files a line names; globs
// (*_test.go), URLs and templated names are not files.
func fileRefs(s string) []string {
	var out []string
	for _, m := range fileRefRE.FindAllStringIndex(s, -1) {
		ref := s[m[0]:m[1]]
		if m[1] < len(s) && strings.ContainsRune("/_-", rune(s[m[1]])) {
			continue
		}
		if m[0] > 0 && strings.ContainsRune("*$%{<:", rune(s[m[0]-1])) {
			continue
		}
		if strings.Contains(ref, "//") || strings.HasPrefix(ref, "github.com/") || strings.HasPrefix(ref, "golang.org/") {
			continue
		}
		out = append(out, strings.TrimRight(ref, "."))
	}
	return out
}

// identRefs are the names in a Go or C comment line that can only be
// identifiers: a word with a lower-to-upper hump (makeCgroups,
// ConvertProcess), a word called (name(), but not a man page's name(2)),
// and pkg.Name where pkg is one of the repository's own packages. Plain
// words (Create, delete) may be English, and are left alone.
func identRefs(s string) []string {
	var out []string
	for _, m := range wordRE.FindAllStringIndex(s, -1) {
		w := s[m[0]:m[1]]
		if m[0] > 0 && strings.ContainsRune("-/$%@", rune(s[m[0]-1])) {
			continue // a flag, a path, a variable
		}
		if m[1] < len(s) && strings.ContainsRune("/-", rune(s[m[1]])) {
			continue
		}
		called := m[1]+1 < len(s) && s[m[1]] == '(' && (s[m[1]+1] < '0' || s[m[1]+1] > '9')
		parts := strings.Split(w, ".")
		if len(parts) > 1 && !ownPackages[parts[0]] {
			// Another package's name (unix.Prctl) or a file or field
			// path (memory.max, linux.cgroupsPath): its humped parts are
			// checked, the rest is not ours to know.
			for _, p := range parts[1:] {
				if humpRE.MatchString(p) {
					out = append(out, p)
				}
			}
			continue
		}
		if len(parts) > 1 {
			out = append(out, parts[1:]...)
			continue
		}
		if humpRE.MatchString(w) || (called && len(w) > 1) {
			if m[1] < len(s) && s[m[1]] == '*' {
				w += "*" // a family of names: TestKernel*
			}
			out = append(out, w)
		}
	}
	return out
}

// ownPackages are the repository's package names, as comments qualify
// their identifiers (cgroups.New, specconv.ConvertProcess).
var ownPackages = map[string]bool{}

// knownNames are the names a comment may cite: every identifier the Go
// files declare or use (the standard library's and the dependencies' too,
// as called), every word of their string literals and of the C files, and
// every JSON name of berth's structs and of runtime-spec's (config fields
// such as cgroupsPath).
func knownNames(root, specDir string, files []string) (map[string]bool, error) {
	known := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(root, f)
		switch path.Ext(f) {
		case ".go":
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return nil, err
			}
			ownPackages[af.Name.Name] = true
			ast.Inspect(af, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.Ident:
					known[x.Name] = true
				case *ast.BasicLit:
					// JSON names of berth's structs, and names that
					// the code spells as strings (D-Bus properties,
					// systemd signals, the fd names of a seccomp
					// agent's state).
					for _, m := range jsonTagRE.FindAllStringSubmatch(x.Value, -1) {
						known[m[1]] = true
					}
					for _, w := range cWordRE.FindAllString(x.Value, -1) {
						known[w] = true
					}
				}
				return true
			})
		case ".c", ".h":
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			for _, w := range cWordRE.FindAllString(cCode(string(b)), -1) {
				known[w] = true
			}
		}
	}
	delete(ownPackages, "main")
	if specDir != "" {
		if err := specJSONNames(specDir, known); err != nil {
			return nil, err
		}
	}
	return known, nil
}

// specModuleDir is where the build's runtime-spec module is.
func specModuleDir(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/opencontainers/runtime-spec")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/opencontainers/runtime-spec: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// specJSONNames adds the JSON names of runtime-spec's types and the words
// of its string constants ("seccompFd"), from the module in dir.
func specJSONNames(dir string, known map[string]bool) error {
	fsys := os.DirFS(filepath.Join(dir, "specs-go"))
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".go" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for _, m := range specStringRE.FindAllStringSubmatch(string(b), -1) {
			for _, w := range cWordRE.FindAllString(m[1], -1) {
				known[w] = true
			}
		}
		return nil
	})
}

// readAllowList reads allow.txt: a name a line, then why; # comments.
func readAllowList(p string) (map[string]bool, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	allowed := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		allowed[f[0]] = true
	}
	return allowed, nil
}
