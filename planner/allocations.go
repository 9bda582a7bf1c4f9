package planner

import (
	"container/heap"

	"github.com/ethereum/go-ethereum/common"
)

// allocationSchedule holds allocation changes not yet in effect: operators to dirty once the head
// reaches a block, and the stake lookahead of each slashable quorum, which makes a change count
// before its effect block.
//
// Its invariants (checked by check in the tests): keys holds exactly the entries of entries, so
// repeats (one event per strategy) are stored once; every entry's block is above the last head
// given to schedule or release, since those release the rest.
type allocationSchedule struct {
	// lookahead is each slashable quorum's stake lookahead in blocks; absent means 0.
	lookahead map[uint8]uint64
	entries   schedHeap
	keys      map[schedEntry]struct{}
}

func newAllocationSchedule() allocationSchedule {
	return allocationSchedule{lookahead: make(map[uint8]uint64), keys: make(map[schedEntry]struct{})}
}

// schedule schedules op for when its allocation change taking effect at effectBlock counts for a
// quorum of that stake lookahead, and reports whether it counts already at head. The entry is kept
// even for an operator not registered yet, which may register before the change takes effect;
// membership is checked when it comes due.
func (s *allocationSchedule) schedule(op common.Address, lookahead, effectBlock, head uint64) (dueNow bool) {
	// A slashable quorum's weight is the minimum slashable stake from now to lookahead blocks
	// ahead: a decrease shows lookahead blocks before its effect block, an increase only at it.
	// The magnitude's direction is not in the event, so the operator is checked at both.
	early := uint64(0)
	if effectBlock > lookahead {
		early = effectBlock - lookahead
	}
	for _, due := range []uint64{early, effectBlock} {
		if due <= head {
			dueNow = true
			continue
		}
		s.add(due, op)
	}
	return dueNow
}

// add schedules op for block, once.
func (s *allocationSchedule) add(block uint64, op common.Address) {
	e := schedEntry{block: block, op: op}
	if _, ok := s.keys[e]; ok {
		return
	}
	s.keys[e] = struct{}{}
	heap.Push(&s.entries, e)
}

// release removes and returns the operators due at or before head, in block order (an operator
// may come twice).
func (s *allocationSchedule) release(head uint64) []common.Address {
	var out []common.Address
	for len(s.entries) > 0 && s.entries[0].block <= head {
		e := heap.Pop(&s.entries).(schedEntry)
		delete(s.keys, e)
		out = append(out, e.op)
	}
	return out
}

// len is the number of entries waiting.
func (s *allocationSchedule) len() int { return len(s.entries) }

// schedEntry is an operator to dirty once the head reaches block.
type schedEntry struct {
	block uint64
	op    common.Address
}

// schedHeap orders scheduled entries by block (container/heap).
type schedHeap []schedEntry

func (h schedHeap) Len() int           { return len(h) }
func (h schedHeap) Less(i, j int) bool { return h[i].block < h[j].block }
func (h schedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *schedHeap) Push(x any)        { *h = append(*h, x.(schedEntry)) }
func (h *schedHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
