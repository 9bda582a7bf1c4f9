package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// check returns the first broken invariant of those written on allocationSchedule, head being the
// last one given to schedule or release.
func (s *allocationSchedule) check(head uint64) error {
	if len(s.entries) != len(s.keys) {
		return fmt.Errorf("scheduled holds %d entries, keys %d", len(s.entries), len(s.keys))
	}
	for _, e := range s.entries {
		if _, ok := s.keys[e]; !ok {
			return fmt.Errorf("scheduled entry %v missing from keys", e)
		}
		if e.block <= head {
			return fmt.Errorf("scheduled entry %v is due at head %d", e, head)
		}
	}
	return nil
}

// A random sequence of allocation changes and heads, reorgs included, keeps the schedule's
// invariants and releases each (block, operator) once, when the head reaches its block: a change
// counts at its effect block and, for a quorum with a lookahead, that many blocks before.
func TestAllocationScheduleInvariants(t *testing.T) {
	ops := []common.Address{addr(1), addr(2), addr(3)}
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 3))
		s := newAllocationSchedule()
		head := uint64(100)
		want := map[schedEntry]bool{} // what the schedule should hold
		for step := range 300 {
			switch rng.IntN(3) {
			case 0, 1:
				op := ops[rng.IntN(len(ops))]
				lookahead := []uint64{0, 5, 200}[rng.IntN(3)]
				effect := head - 10 + uint64(rng.IntN(40))
				early := uint64(0)
				if effect > lookahead {
					early = effect - lookahead
				}
				gotNow := s.schedule(op, lookahead, effect, head)
				if wantNow := early <= head || effect <= head; gotNow != wantNow {
					t.Fatalf("seed %d step %d: change at %d with lookahead %d counts now %v at head %d, want %v", seed, step, effect, lookahead, gotNow, head, wantNow)
				}
				for _, b := range []uint64{early, effect} {
					if b > head {
						want[schedEntry{block: b, op: op}] = true
					}
				}
			case 2:
				if rng.IntN(5) == 0 {
					head -= uint64(rng.IntN(5)) // a reorg
				} else {
					head += uint64(rng.IntN(10))
				}
				var wantOut []common.Address
				for e := range want {
					if e.block <= head {
						wantOut = append(wantOut, e.op)
						delete(want, e)
					}
				}
				got := s.release(head)
				slices.SortFunc(got, common.Address.Cmp)
				slices.SortFunc(wantOut, common.Address.Cmp)
				if !slices.Equal(got, wantOut) {
					t.Fatalf("seed %d step %d: released %v at head %d, want %v", seed, step, got, head, wantOut)
				}
			}
			if err := s.check(head); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			if s.len() != len(want) {
				t.Fatalf("seed %d step %d: %d scheduled, want %d", seed, step, s.len(), len(want))
			}
		}
	}
}
