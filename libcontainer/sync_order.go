package libcontainer

import (
	"fmt"
	"slices"
	"strings"
)

// The order of the sync protocol (the diagram in sync.go), as data: for
// each phase the parent is in, the messages init may send and the phase
// each leads to. The parent checks every message against it, so a message
// out of turn is an error naming both, not a step silently done twice or
// out of order. Errors may come in any phase (recvMsg returns them).
type syncPhase string

const (
	phaseBootstrap syncPhase = "waiting for the namespaces"
	phaseAcked     syncPhase = "waiting for init's pid"
	phaseSetup     syncPhase = "preparing the rootfs"
	phaseHooked    syncPhase = "past the create hooks"
	phaseConsole   syncPhase = "past the console"
	phaseSeccomp   syncPhase = "past the seccomp listener"
	// phaseReady: exec only; create's init is left waiting on exec.fifo.
	phaseReady syncPhase = "waiting for execve"
)

var syncOrder = map[syncPhase]map[string]syncPhase{
	phaseBootstrap: {msgNsenter: phaseAcked},
	phaseAcked:     {msgPid: phaseSetup},
	// mount-source: the rootfs steps, per bind source init cannot reach.
	phaseSetup: {
		msgMountSource: phaseSetup, msgHooks: phaseHooked, msgConsole: phaseConsole,
		msgWarning: phaseSetup, msgSeccomp: phaseSeccomp, msgReady: phaseReady,
	},
	phaseHooked:  {msgConsole: phaseConsole, msgWarning: phaseHooked, msgSeccomp: phaseSeccomp, msgReady: phaseReady},
	phaseConsole: {msgWarning: phaseConsole, msgSeccomp: phaseSeccomp, msgReady: phaseReady},
	phaseSeccomp: {msgReady: phaseReady},
	phaseReady:   {msgWarning: phaseReady},
}

// syncState is where one spawn is in the protocol.
type syncState struct{ phase syncPhase }

func newSyncState() *syncState { return &syncState{phase: phaseBootstrap} }

// advance checks that init may send typ now and moves to its phase.
func (s *syncState) advance(typ string) error {
	next, ok := syncOrder[s.phase][typ]
	if !ok {
		var want []string
		for t := range syncOrder[s.phase] {
			want = append(want, t)
		}
		slices.Sort(want)
		return fmt.Errorf("sync: unexpected %s message from init while %s (expected %s)", typ, s.phase, strings.Join(want, ", "))
	}
	s.phase = next
	return nil
}
