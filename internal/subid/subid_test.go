package subid

import (
	"strings"
	"testing"
)

const file = `# comment
alice:100000:65536
1001:300000:10
bob:165536:65536
alice:231072:1000
broken:line
alice:x:10
alice:500000:0
`

func TestParse(t *testing.T) {
	got, err := Parse(strings.NewReader(file), "alice", 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []Range{{100000, 65536}, {231072, 1000}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// an entry by numeric uid counts for that user
	got, _ = Parse(strings.NewReader(file), "carol", 1001)
	if len(got) != 1 || got[0] != (Range{300000, 10}) {
		t.Fatalf("by uid: got %v", got)
	}
	got, _ = Parse(strings.NewReader(file), "nobody", 4242)
	if len(got) != 0 {
		t.Fatalf("unknown user: got %v", got)
	}
}

func TestCovers(t *testing.T) {
	rs := []Range{{200000, 100}, {100000, 100}, {100100, 50}}
	for _, c := range []struct {
		start, count uint64
		want         bool
	}{
		{100000, 100, true},
		{100000, 150, true}, // two adjacent entries
		{100050, 100, true},
		{100000, 151, false},
		{99999, 2, false},
		{200000, 100, true},
		{100140, 70000, false}, // over the gap between the entries
		{150, 1, false},
	} {
		if got := Covers(rs, c.start, c.count); got != c.want {
			t.Errorf("Covers(%d, %d) = %v, want %v", c.start, c.count, got, c.want)
		}
	}
	if s := (Range{100000, 65536}).String(); s != "100000-165535" {
		t.Error(s)
	}
	if s := (Range{0, 1}).String(); s != "0" {
		t.Error(s)
	}
}
