package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	dbus "github.com/godbus/dbus/v5"
)

// jobTimeout bounds the wait for systemd to finish starting or stopping a
// unit (its own default job timeout for a scope is far longer, and a
// caller such as containerd would rather have an error).
const jobTimeout = 30 * time.Second

// Conn is a connection to the systemd instance that manages berth's units:
// the system manager with root, the user's own manager without.
type Conn struct {
	c    *sd.Conn
	addr string
}

// Connect reaches systemd: as root the system bus, or systemd's private
// socket where no bus daemon runs; without root the user's manager, on
// the session bus or its private socket ($XDG_RUNTIME_DIR/systemd/private,
// there even without dbus-user-session).
func Connect(rootless bool) (*Conn, error) {
	ctx := context.Background()
	if !rootless {
		c, err := sd.NewWithContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("connect to systemd (system bus, /run/systemd/private): %w", err)
		}
		return subscribed(&Conn{c: c, addr: "system"}), nil
	}
	var errs []error
	for _, a := range userAddresses() {
		c, err := connectAddr(ctx, a.addr, a.hello)
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a.addr, err))
	}
	if len(errs) == 0 {
		return nil, errors.New("connect to the user's systemd: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR leads to it (run berth in a login session, or with loginctl enable-linger)")
	}
	return nil, fmt.Errorf("connect to the user's systemd: %w", errors.Join(errs...))
}

// subscribed asks systemd for its job signals: on the system bus it sends
// them (JobRemoved, which the wait for a job needs) only to subscribers.
func subscribed(c *Conn) *Conn {
	_ = c.c.Subscribe()
	return c
}

type userAddress struct {
	addr  string
	hello bool
}

// userAddresses are where the user's manager may be reached, the bus
// first (as runc) and then the manager's private socket.
func userAddresses() []userAddress {
	var out []userAddress
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		out = append(out, userAddress{a, true})
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = "/run/user/" + strconv.Itoa(os.Getuid())
	}
	for _, s := range []struct {
		name  string
		hello bool
	}{{"bus", true}, {"systemd/private", false}} {
		p := filepath.Join(dir, s.name)
		if _, err := os.Stat(p); err == nil {
			out = append(out, userAddress{"unix:path=" + dbus.EscapeBusAddressValue(p), s.hello})
		}
	}
	return out
}

// connectAddr connects to systemd at a D-Bus address: a bus (hello: the
// bus daemon wants a Hello first) or a manager's private socket.
func connectAddr(ctx context.Context, addr string, hello bool) (*Conn, error) {
	c, err := sd.NewConnection(func() (*dbus.Conn, error) { return dial(ctx, addr, hello) })
	if err != nil {
		return nil, err
	}
	return subscribed(&Conn{c: c, addr: addr}), nil
}

func dial(ctx context.Context, addr string, hello bool) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	// EXTERNAL with the uid as a number: no user name lookup (berth is
	// linked statically, without NSS).
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if hello {
		if err := conn.Hello(); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// Close ends the connection.
func (c *Conn) Close() { c.c.Close() }

// Version is systemd's version number (0 if it cannot be read).
func (c *Conn) Version() int {
	s, err := c.c.GetManagerProperty("Version")
	if err != nil {
		return 0
	}
	return ParseVersion(s)
}

// ParseVersion reads the number at the start of systemd's version string
// ("252.38-1~deb12u1", possibly quoted, possibly with a "v").
func ParseVersion(s string) int {
	s = strings.TrimLeft(s, `"v`)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// ControlGroup is the manager's own cgroup ("/" for the system manager,
// ".../user@UID.service" for a user's), under which its slices lie.
func (c *Conn) ControlGroup() (string, error) {
	s, err := c.c.GetManagerProperty("ControlGroup")
	if err != nil {
		return "", fmt.Errorf("read systemd's ControlGroup: %w", err)
	}
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	if s == "" {
		s = "/"
	}
	return s, nil
}

// Start starts the transient unit and waits for its job. A unit of the
// name left failed by an earlier container is reset and the start tried
// again once; a unit that does not come up is reset, so none is left.
func (c *Conn) Start(name string, props []sd.Property) error {
	ctx := context.Background()
	for try := 0; ; try++ {
		ch := make(chan string, 1)
		_, err := c.c.StartTransientUnitContext(ctx, name, "replace", props, ch)
		if err != nil {
			if isDbusError(err, "org.freedesktop.systemd1.UnitExists") && try == 0 {
				_ = c.c.ResetFailedUnitContext(ctx, name)
				continue
			}
			return fmt.Errorf("systemd unit %s: start: %w", name, err)
		}
		select {
		case res := <-ch:
			if res == "done" {
				return nil
			}
			_ = c.c.ResetFailedUnitContext(ctx, name)
			return fmt.Errorf("systemd unit %s: start job %s", name, res)
		case <-time.After(jobTimeout):
			_ = c.Stop(name)
			return fmt.Errorf("systemd unit %s: start job did not finish in %v", name, jobTimeout)
		}
	}
}

// Stop stops the unit and waits for it to be gone; one that does not
// exist (any more) is no error. A failed unit is reset, which is what
// removes it.
func (c *Conn) Stop(name string) error {
	ctx := context.Background()
	ch := make(chan string, 1)
	_, err := c.c.StopUnitContext(ctx, name, "replace", ch)
	switch {
	case isDbusError(err, "org.freedesktop.systemd1.NoSuchUnit"):
		return nil
	case err != nil:
		return fmt.Errorf("systemd unit %s: stop: %w", name, err)
	}
	select {
	case <-ch:
	case <-time.After(jobTimeout):
		return fmt.Errorf("systemd unit %s: stop job did not finish in %v", name, jobTimeout)
	}
	_ = c.c.ResetFailedUnitContext(ctx, name)
	return nil
}

// Set changes properties of the running unit (runtime only: they go with
// the unit, as it is transient).
func (c *Conn) Set(name string, props []sd.Property) error {
	if len(props) == 0 {
		return nil
	}
	if err := c.c.SetUnitPropertiesContext(context.Background(), name, true, props...); err != nil {
		return fmt.Errorf("systemd unit %s: set properties: %w", name, err)
	}
	return nil
}

func isDbusError(err error, name string) bool {
	var e dbus.Error
	return errors.As(err, &e) && e.Name == name
}
