package proc

import "testing"

func TestInitialUIDMap(t *testing.T) {
	for in, want := range map[string]bool{
		"         0          0 4294967295\n": true,
		"         0       1000          1\n": false,
		"0 0 4294967295\n1 1 1\n":            false,
		"":                                   false,
	} {
		if got := initialUIDMap([]byte(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
