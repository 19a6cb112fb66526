package seccomp

import (
	"reflect"
	"testing"
)

// Conditions on distinct arguments make one rule (AND); as soon as an index
// repeats, every condition is a rule of its own (OR), as runc reads them.
func TestRules(t *testing.T) {
	a0 := cond{arg: 0, op: opEQ, value: 1}
	a0b := cond{arg: 0, op: opEQ, value: 8}
	a1 := cond{arg: 1, op: opNE, value: 2}
	for _, tc := range []struct {
		name  string
		conds []cond
		want  [][]cond
	}{
		{"none", nil, [][]cond{nil}},
		{"one", []cond{a0}, [][]cond{{a0}}},
		{"distinct arguments", []cond{a0, a1}, [][]cond{{a0, a1}}},
		{"a repeated argument", []cond{a0, a0b}, [][]cond{{a0}, {a0b}}},
		{"a repeated argument and another", []cond{a0, a1, a0b}, [][]cond{{a0}, {a1}, {a0b}}},
	} {
		if got := rules(tc.conds); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: rules = %v, want %v", tc.name, got, tc.want)
		}
	}
}
