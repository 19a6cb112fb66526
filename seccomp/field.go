package seccomp

import "github.com/berth-runtime/berth/internal/field"

// FieldError is an error in one field of linux.seccomp.
type FieldError = field.Error

var (
	fieldErr = field.Errorf
	idx      = field.Index
)
