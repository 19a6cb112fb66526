package libcontainer

import (
	"os"
	"strconv"
	"strings"
)

// listenPidEnv sets LISTEN_PID to init's pid, which the process keeps
// across execve: sd_listen_fds(3) takes the fds only when LISTEN_PID is
// its own pid. In a pid namespace of its own that is 1, as runc always
// says; without one (a host pid namespace) it is the host pid, and a "1"
// would make the process ignore its sockets.
func listenPidEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_PID=") {
			out = append(out, kv)
		}
	}
	return append(out, "LISTEN_PID="+strconv.Itoa(os.Getpid()))
}
