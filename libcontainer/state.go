package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-runtime/berth/internal/proc"
	"github.com/berth-runtime/berth/libcontainer/configs"
)

// Container statuses, as runtime-spec names them.
const (
	Creating = "creating"
	Created  = "created"
	Running  = "running"
	Paused   = "paused"
	Stopped  = "stopped"
)

// Sentinel errors whose words callers (containerd, Docker, Podman) match.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with given ID already exists")
	ErrNotRunning = errors.New("container not running")
	ErrRunning    = errors.New("container is not stopped: stop it first or use --force")
	ErrInvalidID  = errors.New("invalid container ID")
	// ErrCorrupt: state.json cannot be read as a container's state.
	ErrCorrupt = errors.New("corrupt")
)

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
	maxIDLen  = 255 // one path component
)

var idRegexp = regexp.MustCompile(`^[A-Za-z0-9_+\-.]+$`)

// ValidateID rejects IDs that could escape the state root or are unusable
// as a single path component.
func ValidateID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidID)
	case len(id) > maxIDLen:
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidID, maxIDLen)
	case id == "." || id == "..":
		return fmt.Errorf("%w %q", ErrInvalidID, id)
	case !idRegexp.MatchString(id):
		return fmt.Errorf("%w %q: only letters, digits and _ + - . are allowed", ErrInvalidID, id)
	}
	return nil
}

// State is what state.json holds: the runtime-spec state plus what berth
// needs to find the container again.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Pid         int               `json:"pid"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`

	// StartTime of Pid: with it, a recycled pid is never taken for init.
	StartTime uint64 `json:"start_time"`
	// Config is kept for exec, delete (cgroups, poststop hooks) and update.
	Config *configs.Config `json:"config"`
	// CgroupPaths maps each hierarchy (controller name, or "" for the
	// unified one) to the cgroup directory berth created for the container.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	// CgroupCreated maps each hierarchy to the topmost directory berth
	// created for the container (an ancestor when cgroupsPath is nested),
	// which delete removes too when empty.
	CgroupCreated map[string]string `json:"cgroup_created,omitempty"`
}

// saveState writes state.json atomically: a reader sees the old or the new
// file, never half of one, whether berth is killed during the write (the
// rename is atomic in the page cache every process shares) or the machine
// crashes (the file is synced before the rename).
//
// Only a state past "creating" is synced. The saves during create (cgroup
// paths before the cgroups exist, then init's pid) serve one reader: a
// delete --force after berth itself was killed half-way, on a machine still
// up, for which the rename suffices. After a machine crash no process or
// cgroup of the container survives, so a "creating" state has nothing left
// to describe: if its unsynced file comes back empty or torn, it reads as
// corrupt and delete --force removes the directory (runc syncs none of its
// state writes). So a create syncs state.json once ("created") instead of
// four times.
func saveState(dir string, s *State) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), b, 0o600, s.Status != Creating)
}

// writeFileAtomic writes b to a temporary file beside path, syncs it when
// durable is set, and renames it over path.
func writeFileAtomic(path string, b []byte, mode os.FileMode, durable bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err = f.Write(b); err == nil {
		err = f.Chmod(mode)
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WritePidFile writes pid to path atomically (containerd reads it at once).
// It is not synced: a host pid means nothing after the crash a sync would
// guard against.
func WritePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return writeFileAtomic(abs, []byte(fmt.Sprint(pid)), 0o644, false)
}

func loadState(dir, id string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", id, ErrNotExist)
		}
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w %s: %v", id, ErrCorrupt, filepath.Join(dir, stateFile), err) //nolint:errorlint // callers test ErrCorrupt; the decoder's error is detail
	}
	if s.ID != id {
		return nil, fmt.Errorf("%s: %w %s: id is %q", id, ErrCorrupt, filepath.Join(dir, stateFile), s.ID)
	}
	// Every command after create needs the config (exec, hooks, delete).
	if s.Config == nil {
		return nil, fmt.Errorf("%s: %w %s: no config", id, ErrCorrupt, filepath.Join(dir, stateFile))
	}
	return &s, nil
}

// liveStatus derives the status from the process itself, not from what was
// written: init alive and still waiting on exec.fifo is "created", alive
// past it "running", gone (or its pid reused) "stopped".
func liveStatus(dir string, s *State) string {
	if !proc.Alive(s.Pid, s.StartTime) {
		return Stopped
	}
	if s.Status == Creating {
		return Creating
	}
	if _, err := os.Lstat(filepath.Join(dir, fifoName)); err == nil {
		return Created
	}
	if frozen(s) {
		return Paused
	}
	return Running
}

// lockDir takes an exclusive flock on the container's state directory, so
// that two commands on one ID serialise. The lock goes with the fd.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}
