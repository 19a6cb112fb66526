package seccomp

// cond is one entry of syscalls[].args, checked. For opMaskedEQ, value is
// the mask and value2 the datum, the order libseccomp's SCMP_CMP_MASKED_EQ
// takes them in ((arg & value) == value2); the other operators compare
// against value alone.
type cond struct {
	arg    uint
	op     op
	value  uint64
	value2 uint64
}

// rules turns the conditions of one syscalls[] entry into libseccomp
// rules, reading them as runc 1.5 does (libcontainer/seccomp): when no
// argument index repeats, one rule holds every condition (libseccomp ANDs
// the comparisons of a rule, seccomp_rule_add(3)); when one repeats, each
// condition becomes a rule of its own, so the entry matches a call that
// satisfies any one of them (OR). runtime-spec gives no combining rule of
// its own, libseccomp refuses two comparisons of one argument in a rule,
// and profiles are written for runc's reading (Docker's lists the allowed
// personality values as conditions on argument 0). No condition gives one
// rule without conditions.
func rules(conds []cond) [][]cond {
	seen := map[uint]bool{}
	repeated := false
	for _, c := range conds {
		repeated = repeated || seen[c.arg]
		seen[c.arg] = true
	}
	if !repeated {
		return [][]cond{conds}
	}
	out := make([][]cond, 0, len(conds))
	for _, c := range conds {
		out = append(out, []cond{c})
	}
	return out
}
