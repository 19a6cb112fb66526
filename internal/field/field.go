// Package field names the config.json field an error is about, so every
// validation error (specconv, seccomp) reads "linux.namespaces[2].type: ...".
package field

import (
	"fmt"
	"strconv"
)

// Error is an error in one field; Field is its JSON path, e.g.
// "linux.seccomp.syscalls[3].names[1]".
type Error struct {
	Field string
	Err   error
}

func (e *Error) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message; %w wraps.
func Errorf(field, format string, args ...any) error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}

// Index renders the JSON path of element i of the array field.
func Index(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
