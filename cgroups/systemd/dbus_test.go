package systemd

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	dbus "github.com/godbus/dbus/v5"
)

// A fake systemd on a private dbus-daemon: the D-Bus side of the driver
// (start and wait for the job, the retry of a unit left failed, the reset
// of a unit that failed to start, stop of a unit that is gone) against the
// answers systemd gives, which the systemd guest cannot provoke at will.

type dbusProp struct {
	Name  string
	Value dbus.Variant
}

type auxUnit struct {
	Name  string
	Props []dbusProp
}

// fakeSystemd answers the Manager calls the driver makes. exists and
// result script its answers; calls records what it was asked.
type fakeSystemd struct {
	conn   *dbus.Conn
	mu     sync.Mutex
	exists map[string]bool   // StartTransientUnit answers UnitExists
	active map[string]bool   // ... and ResetFailedUnit does not change that
	result map[string]string // the job's result ("done" when unset)
	calls  []string
	props  map[string][]string
	jobs   uint32
}

func (f *fakeSystemd) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

// job answers with a job path and, as systemd does, announces its end
// with JobRemoved.
func (f *fakeSystemd) job(unit, result string) dbus.ObjectPath {
	f.mu.Lock()
	f.jobs++
	id := f.jobs
	f.mu.Unlock()
	path := dbus.ObjectPath("/org/freedesktop/systemd1/job/" + strconv.FormatUint(uint64(id), 10))
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = f.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", id, path, unit, result)
	}()
	return path
}

func (f *fakeSystemd) StartTransientUnit(name, mode string, props []dbusProp, aux []auxUnit) (dbus.ObjectPath, *dbus.Error) {
	f.record("start " + name)
	f.mu.Lock()
	var names []string
	for _, p := range props {
		names = append(names, p.Name)
	}
	f.props[name] = names
	exists, res := f.exists[name], f.result[name]
	f.mu.Unlock()
	if exists {
		return "", dbus.NewError("org.freedesktop.systemd1.UnitExists", []any{"Unit " + name + " already exists."})
	}
	if res == "" {
		res = "done"
	}
	return f.job(name, res), nil
}

func (f *fakeSystemd) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	f.record("stop " + name)
	f.mu.Lock()
	_, known := f.props[name]
	f.mu.Unlock()
	if !known {
		return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not loaded."})
	}
	return f.job(name, "done"), nil
}

func (f *fakeSystemd) ResetFailedUnit(name string) *dbus.Error {
	f.record("reset " + name)
	f.mu.Lock()
	if !f.active[name] {
		delete(f.exists, name) // a failed unit goes once reset
	}
	f.mu.Unlock()
	return nil
}

func (f *fakeSystemd) SetUnitProperties(name string, runtime bool, props []dbusProp) *dbus.Error {
	var names []string
	for _, p := range props {
		names = append(names, p.Name)
	}
	f.record("set " + name + " runtime=" + map[bool]string{true: "yes", false: "no"}[runtime] + " " + strings.Join(names, ","))
	return nil
}

func (f *fakeSystemd) Subscribe() *dbus.Error { return nil }

// startFake runs a dbus-daemon of its own with the fake systemd on it,
// and returns the driver's connection to it.
func startFake(t *testing.T) (*fakeSystemd, *Conn) {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=`+sock+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy>
</busconfig>`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	addr = strings.TrimSpace(addr)

	srv, err := dial(context.Background(), addr, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	f := &fakeSystemd{conn: srv, exists: map[string]bool{}, active: map[string]bool{}, result: map[string]string{}, props: map[string][]string{}}
	if err := srv.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	if r, err := srv.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", r, err)
	}
	c, err := connectAddr(context.Background(), addr, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return f, c
}

// script sets an answer (under the lock: the fake's methods run on
// godbus's goroutines).
func (f *fakeSystemd) script(set func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set()
}

func (f *fakeSystemd) took() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, "; ")
}

func TestStartWaitsForTheJob(t *testing.T) {
	f, c := startFake(t)
	u, _ := ParseUnit("system.slice:berth:c1", false)
	props := append(UnitProperties(u, 42, v2), prop("MemoryMax", uint64(1<<20)))
	if err := c.Start(u.Name, props); err != nil {
		t.Fatal(err)
	}
	if got := f.took(); got != "start berth-c1.scope" {
		t.Errorf("calls: %s", got)
	}
	var got string
	f.script(func() { got = strings.Join(f.props[u.Name], ",") })
	if !strings.Contains(got, "Slice,Delegate,PIDs") || !strings.HasSuffix(got, "MemoryMax") {
		t.Errorf("properties sent: %s", got)
	}
}

func TestStartResetsAFailedUnitOfTheNameAndRetriesOnce(t *testing.T) {
	f, c := startFake(t)
	f.script(func() { f.exists["berth-c2.scope"] = true })
	if err := c.Start("berth-c2.scope", nil); err != nil {
		t.Fatal(err)
	}
	if got := f.took(); got != "start berth-c2.scope; reset berth-c2.scope; start berth-c2.scope" {
		t.Errorf("calls: %s", got)
	}
}

func TestStartOfAUnitThatStaysIsAnErrorWithSystemdsAnswer(t *testing.T) {
	f, c := startFake(t)
	f.script(func() { f.exists["berth-c3.scope"], f.active["berth-c3.scope"] = true, true })
	err := c.Start("berth-c3.scope", nil)
	if err == nil || !strings.Contains(err.Error(), "systemd unit berth-c3.scope") || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("err = %v, want one naming the unit with systemd's answer", err)
	}
	if got := f.took(); got != "start berth-c3.scope; reset berth-c3.scope; start berth-c3.scope" {
		t.Errorf("calls: %s (one retry, and the unit of another left alone)", got)
	}
}

func TestAFailedStartJobIsResetAndReported(t *testing.T) {
	f, c := startFake(t)
	f.script(func() { f.result["berth-c4.scope"] = "failed" })
	err := c.Start("berth-c4.scope", nil)
	if err == nil || err.Error() != "systemd unit berth-c4.scope: start job failed" {
		t.Fatalf("err = %v", err)
	}
	if got := f.took(); got != "start berth-c4.scope; reset berth-c4.scope" {
		t.Errorf("calls: %s (the failed unit must be reset, so that none is left)", got)
	}
}

func TestStopWaitsAndResetsAndAMissingUnitIsNoError(t *testing.T) {
	f, c := startFake(t)
	if err := c.Stop("berth-gone.scope"); err != nil {
		t.Fatalf("stop of a unit systemd does not know: %v", err)
	}
	if err := c.Start("berth-c5.scope", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop("berth-c5.scope"); err != nil {
		t.Fatal(err)
	}
	if got := f.took(); got != "stop berth-gone.scope; start berth-c5.scope; stop berth-c5.scope; reset berth-c5.scope" {
		t.Errorf("calls: %s", got)
	}
}

func TestSetChangesRuntimeProperties(t *testing.T) {
	f, c := startFake(t)
	if err := c.Set("berth-c6.scope", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("berth-c6.scope", []sd.Property{prop("TasksMax", uint64(5)), prop("MemoryMax", uint64(1<<20))}); err != nil {
		t.Fatal(err)
	}
	if got := f.took(); got != "set berth-c6.scope runtime=yes TasksMax,MemoryMax" {
		t.Errorf("calls: %s (no call for no properties)", got)
	}
}
