package libcontainer

import (
	"encoding/json"
	"fmt"
	"net"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sendSeccompListener hands the listener fd to the agent at listenerPath
// with the container process state (runtime-spec config-linux.md, "The
// Container Process State").
func (sp *spawner) sendSeccompListener(fd int) error {
	defer unix.Close(fd)
	sc := sp.o.Config.Process.Seccomp
	if sc == nil || sc.ListenerPath == "" {
		return fmt.Errorf("linux.seccomp.listenerPath: not set")
	}
	st := sp.c.SpecState()
	st.Status = specs.StateCreating
	st.Pid = sp.pid
	b, err := json.Marshal(specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      sp.pid,
		Metadata: sc.ListenerMetadata,
		State:    *st,
	})
	if err != nil {
		return err
	}
	conn, err := net.Dial("unix", sc.ListenerPath)
	if err != nil {
		// runc's words, which clients match, then the field.
		return fmt.Errorf("failed to connect with seccomp agent specified in the seccomp profile: linux.seccomp.listenerPath %s: %w", sc.ListenerPath, err)
	}
	defer func() { _ = conn.Close() }()
	if _, _, err := conn.(*net.UnixConn).WriteMsgUnix(b, unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %s: send listener: %w", sc.ListenerPath, err)
	}
	return nil
}
