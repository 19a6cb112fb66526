package libcontainer

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/seccomp"
)

// loadSeccomp installs the filter. With a NOTIFY profile the listener fd
// goes to the parent over sock (it forwards it to listenerPath).
func loadSeccomp(f *seccomp.Filter, sock *os.File) error {
	if f == nil {
		return nil
	}
	fd, err := f.Load()
	if err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	f.Release()
	if fd >= 0 {
		defer unix.Close(fd)
		if sock == nil {
			return fmt.Errorf("seccomp notify listener has no one to go to")
		}
		if err := sendMsg(sock, syncMsg{Type: msgSeccomp}, fd); err != nil {
			return err
		}
		if _, err := expect(sock, msgSeccompDone); err != nil {
			return err
		}
	}
	return nil
}

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
