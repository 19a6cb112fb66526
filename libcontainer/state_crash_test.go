package libcontainer

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

// stateOfSize is a state whose JSON is about n bytes (by its annotations), so that a
// reader of a half-written file would get a prefix that does not parse.
func stateOfSize(id string, n int) *State {
	return &State{
		ID: id, Status: Created, Pid: n, Config: &configs.Config{Rootfs: "/r"},
		Annotations: map[string]string{"pad": strings.Repeat("x", n)},
	}
}

// Readers racing a writer never see a half-written state.json: each load is the old
// state or the new one, whole.
func TestStateReadersRaceWriter(t *testing.T) {
	dir := fastTempDir(t)
	if err := saveState(dir, stateOfSize("c1", 10)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loads := 0; ; loads++ {
				select {
				case <-stop:
					return
				default:
				}
				s, err := loadState(dir, "c1")
				if err == nil && len(s.Annotations["pad"]) != s.Pid {
					err = fmt.Errorf("a mix of two states: pad %d, pid %d", len(s.Annotations["pad"]), s.Pid)
				}
				if err != nil {
					errs <- fmt.Errorf("load %d: %w", loads, err)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		// alternate a small and a large file: a torn read would show
		if err := saveState(dir, stateOfSize("c1", 10+(i%2)*200000)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A writer killed (SIGKILL) at any point of a save leaves state.json whole: the old
// one or the new one. The writer is this test binary, re-executed.
func TestStateWriterKilled(t *testing.T) {
	if dir := os.Getenv("BERTH_TEST_STATE_WRITER"); dir != "" {
		for i := 0; ; i++ {
			if err := saveState(dir, stateOfSize("c1", 10+(i%2)*200000)); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := fastTempDir(t)
	if err := saveState(dir, stateOfSize("c1", 10)); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 20; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStateWriterKilled$")
		cmd.Env = append(os.Environ(), "BERTH_TEST_STATE_WRITER="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(5+k*3) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		s, err := loadState(dir, "c1")
		if err != nil {
			t.Fatalf("after a writer was killed: %v", err)
		}
		if len(s.Annotations["pad"]) != s.Pid {
			t.Fatalf("after a writer was killed: a mix of two states")
		}
	}
	// What a killed writer leaves is its temporary file, which nothing reads and
	// which goes with the state directory.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != stateFile && !strings.HasPrefix(e.Name(), "."+stateFile+".") {
			t.Errorf("unexpected %s in the state directory", e.Name())
		}
	}
}
