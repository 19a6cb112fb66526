package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-runtime/berth/libcontainer/configs"
)

func TestOwnIDOnly(t *testing.T) {
	if !ownIDOnly([]configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}, 1000) {
		t.Error("own id, size 1")
	}
	for _, m := range [][]configs.IDMap{
		{{ContainerID: 0, HostID: 1000, Size: 2}},
		{{ContainerID: 0, HostID: 1001, Size: 1}},
		{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 10}},
	} {
		if ownIDOnly(m, 1000) {
			t.Errorf("%v taken as the own id alone", m)
		}
	}
}

func TestCheckHelperMaps(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "subuid")
	if err := os.WriteFile(file, []byte("alice:100000:65536\nbob:165536:65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	own := configs.IDMap{ContainerID: 0, HostID: 1000, Size: 1}
	// "sh" stands for the helper: only its presence on PATH is looked up
	path, err := checkHelperMaps("sh", file, "uid", []configs.IDMap{own, {ContainerID: 1, HostID: 100000, Size: 65536}}, "alice", 1000)
	if err != nil || !strings.HasSuffix(path, "/sh") {
		t.Fatalf("covered: %q, %v", path, err)
	}
	for _, c := range []struct {
		name string
		maps []configs.IDMap
		user string
		want string
	}{
		{
			"beyond the range",
			[]configs.IDMap{own, {ContainerID: 1, HostID: 100000, Size: 65537}},
			"alice",
			"[1]: host uids 100000-165536 are not yours to map: " + file + " gives alice (uid 1000) only 100000-165535",
		},
		{
			"another user's range",
			[]configs.IDMap{own, {ContainerID: 1, HostID: 165536, Size: 10}},
			"alice",
			"[1]: host uids 165536-165545 are not yours to map",
		},
		{
			"the host's root",
			[]configs.IDMap{{ContainerID: 0, HostID: 0, Size: 1}},
			"alice",
			"[0]: host uids 0 are not yours to map",
		},
		{
			"no range at all",
			[]configs.IDMap{own, {ContainerID: 1, HostID: 100000, Size: 1}},
			"carol",
			"[1]: host uids 100000 are not yours to map: " + file + " has no range for carol (uid 1000), who may map only its own uid without root",
		},
	} {
		_, err := checkHelperMaps("sh", file, "uid", c.maps, c.user, 1000)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	_, err = checkHelperMaps("no-such-helper-berth", file, "uid", []configs.IDMap{own}, "alice", 1000)
	if err == nil || !strings.Contains(err.Error(), "needs no-such-helper-berth (Debian package uidmap)") {
		t.Errorf("missing helper: %v", err)
	}
}
