package libcontainer

import "strings"

// dedupEnv is the environment the user's process gets, as runc builds it:
// one entry a name, the last given winning where it was last given, an
// empty HOME dropped. It says whether HOME must still be found: programs
// (and Docker, which leaves HOME out of the config for images without it)
// rely on it, so the plan then has the C stage look up uid's home in the
// container's /etc/passwd (OpHome), else "/". specconv has already
// checked every entry is NAME=value.
func dedupEnv(env []string) ([]string, bool) {
	last := make(map[string]int, len(env))
	for i, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		last[name] = i
	}
	out := make([]string, 0, len(last)+1)
	for i, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if last[name] != i || (name == "HOME" && val == "") {
			continue
		}
		out = append(out, kv)
	}
	v, ok := lookupEnv(out, "HOME")
	return out, !ok || v == ""
}

// lookupEnv returns the value of name in env (deduplicated).
func lookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v, true
		}
	}
	return "", false
}
