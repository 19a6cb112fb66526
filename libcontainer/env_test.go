package libcontainer

import (
	"reflect"
	"testing"
)

func TestDedupEnv(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
		needHome bool
	}{
		{[]string{"A=1", "B=2", "A=3", "HOME=/h"}, []string{"B=2", "A=3", "HOME=/h"}, false},
		{[]string{"HOME=/h", "X=", "X=1"}, []string{"HOME=/h", "X=1"}, false},
		{[]string{"HOME=/a", "HOME=/b"}, []string{"HOME=/b"}, false},
		// missing or empty: the plan looks it up
		{[]string{"HOME=", "P=1"}, []string{"P=1"}, true},
		{nil, []string{}, true},
	} {
		got, need := dedupEnv(tc.in)
		if !reflect.DeepEqual(got, tc.want) || need != tc.needHome {
			t.Errorf("dedupEnv(%q) = %q, %v; want %q, %v", tc.in, got, need, tc.want, tc.needHome)
		}
	}
}
