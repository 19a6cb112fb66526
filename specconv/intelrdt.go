package specconv

import (
	"errors"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// convertIntelRdt checks linux.intelRdt (config-linux.md "IntelRdt") and
// orders its schemata lines as the spec has them written: l3CacheSchema,
// then memBwSchema, then schemata[]. Whether the host has a resctrl
// filesystem is for create to find out (specconv makes no system calls).
func convertIntelRdt(c *configs.Config, l *specs.Linux, opts Options) error {
	r := l.IntelRdt
	if r == nil {
		return nil
	}
	const f = "linux.intelRdt"
	clos := r.ClosID
	switch {
	case clos == "":
		// "If closID is not set, runtimes MUST use the container ID".
		clos = opts.ID
	case clos == "/":
		// the default group, the resctrl root itself
	case clos == "." || clos == ".." || strings.Contains(clos, "/"):
		return fieldErr(f+".closID", "%q is not a resctrl group name (one path element, or \"/\")", clos)
	}
	if strings.ContainsAny(clos, "\n\x00") {
		return fieldErr(f+".closID", "%q contains a newline or NUL byte", clos)
	}
	out := &configs.IntelRdt{ClosID: clos, EnableMonitoring: r.EnableMonitoring}
	if s := r.L3CacheSchema; s != "" {
		if err := checkSchemaLine(s); err != nil {
			return &FieldError{Field: f + ".l3CacheSchema", Err: err}
		}
		out.Schemata = append(out.Schemata, s)
	}
	if s := r.MemBwSchema; s != "" {
		if !strings.HasPrefix(s, "MB:") {
			return fieldErr(f+".memBwSchema", "%q does not start with \"MB:\"", s)
		}
		if err := checkSchemaLine(s); err != nil {
			return &FieldError{Field: f + ".memBwSchema", Err: err}
		}
		out.Schemata = append(out.Schemata, s)
	}
	for i, s := range r.Schemata {
		if err := checkSchemaLine(s); err != nil {
			return &FieldError{Field: idx(f+".schemata", i), Err: err}
		}
		out.Schemata = append(out.Schemata, s)
	}
	c.IntelRdt = out
	return nil
}

// checkSchemaLine refuses what would split or cut one schemata line.
func checkSchemaLine(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty")
	}
	if strings.ContainsAny(s, "\n\x00") {
		return errors.New("contains a newline or NUL byte: one line each")
	}
	return nil
}
