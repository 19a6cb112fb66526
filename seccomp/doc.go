// Package seccomp compiles linux.seccomp of config.json (runtime-spec
// config-linux.md "Seccomp") into a BPF program, with libseccomp.
//
// The parent compiles the profile (specconv, to check it, and the plan's
// compiler), so that a profile libseccomp or the kernel cannot express
// fails `create` before any process is spawned, with an error naming the
// config.json field. The plan carries the program (Program) to init's C
// stage, which loads it last, just before execve (for create, before the
// startContainer hooks), so that the filter never forbids init's own work.
//
// Profiles are read as runc 1.5 reads them (conds.go, enosys.go): the
// conditions of an entry are ORed when an argument index repeats, and a
// syscall newer than every one the profile names gets ENOSYS from a stub
// in front of libseccomp's program, so that libc falls back to an older one.
//
// The real implementation needs cgo and libseccomp; built with the
// noseccomp tag (or without cgo) the package is a stub that refuses any
// profile.
package seccomp
