package specconv

import "sort"

// KnownMountOptions lists every mount option Convert accepts, for the
// `features` command (runtime-spec features.md "mountOptions").
func KnownMountOptions() []string {
	var out []string
	for o := range mountFlags {
		out = append(out, o)
	}
	for o := range propagationFlags {
		out = append(out, o)
	}
	for o := range recursiveAttrs {
		out = append(out, o)
	}
	out = append(out, "tmpcopyup")
	sort.Strings(out)
	return out
}
