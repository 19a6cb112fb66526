package specconv

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// convertIntelRdt checks linux.intelRdt (config-linux.md "IntelRdt").
// Whether the host has a resctrl
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
	out := &configs.IntelRdt{ClosID: clos, OwnGroup: r.ClosID == "", EnableMonitoring: r.EnableMonitoring}
	if s := r.L3CacheSchema; s != "" {
		if err := checkSchemaLine(s); err != nil {
			return &FieldError{Field: f + ".l3CacheSchema", Err: err}
		}
		out.L3CacheSchema = s
	}
	if s := r.MemBwSchema; s != "" {
		if err := CheckMemBwSchema(s); err != nil {
			return &FieldError{Field: f + ".memBwSchema", Err: err}
		}
		out.MemBwSchema = s
	}
	for i, s := range r.Schemata {
		if err := checkSchemaLine(s); err != nil {
			return &FieldError{Field: idx(f+".schemata", i), Err: err}
		}
	}
	out.Schemata = r.Schemata
	c.IntelRdt = out
	return nil
}

// CheckMemBwSchema checks a memory bandwidth schema line (config.json's
// memBwSchema, update's --mem-bw-schema): it "MUST start with MB:".
func CheckMemBwSchema(s string) error {
	if !strings.HasPrefix(s, "MB:") {
		return fmt.Errorf("%q does not start with \"MB:\"", s)
	}
	return checkSchemaLine(s)
}

// CheckL3CacheSchema checks an L3 cache schema line (l3CacheSchema,
// update's --l3-cache-schema).
func CheckL3CacheSchema(s string) error { return checkSchemaLine(s) }

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
