package seccomp

import (
	"fmt"
	"strconv"
)

// FieldError is an error in one field of linux.seccomp. Field is the JSON
// path of the field, e.g. "linux.seccomp.syscalls[3].names[1]".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr builds a *FieldError with a formatted message; %w wraps.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// idx renders the JSON path of element i of the array field.
func idx(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
