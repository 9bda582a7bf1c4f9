package planner

import (
	"maps"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// FirstEvent is when the first event of an operator that its stored stake does not reflect yet
// was seen: the time and block of the SharesChanged event that made it dirty. Staleness and
// event-to-update latency count from it.
type FirstEvent struct {
	At    time.Time
	Block uint64
}

// FirstEvents returns, per operator with an event its stored stake does not reflect yet, the
// first such event. One is noted when a SharesChanged event makes an operator dirty (an event for
// an operator already dirty coalesces into its first), and kept while the operator waits, is in a
// batch, is retried, held back for the budget or set aside. It is dropped once the planner learns
// the event is reflected (an event seen while the operator's batch was out then takes its place): the operator's batch came back to Done with it neither failed, waiting
// nor deferred (found stale and updated, or found to need nothing), a mined transaction stored it
// (Outcome.Stored), or it left the AVS. Operators dirtied without an event of their own (a
// recheck, an allocation change coming due) have none. The map is a copy.
func (p *Planner) FirstEvents() map[common.Address]FirstEvent { return maps.Clone(p.ops.firstEvents) }

// noteFirstEvent records an event of op at block, seen now, as its first unless one is noted.
func (p *Planner) noteFirstEvent(op common.Address, block uint64) {
	p.ops.noteFirst(op, FirstEvent{At: p.now(), Block: block})
}

// reflected drops the first events of the operators of b that came back with o as landed or as
// needing nothing, and of every operator a mined transaction of o stored.
func (p *Planner) reflected(b Batch, o Outcome) {
	stored := make(map[common.Address]bool, len(o.Stored))
	for _, op := range o.Stored {
		stored[op] = true
	}
	if o.Err != nil {
		for _, op := range b.Operators {
			if !stored[op] {
				p.ops.unreflected(op)
			}
		}
	} else {
		again := make(map[common.Address]bool, len(o.FailedOperators)+len(o.WaitingOperators)+len(o.Deferred))
		for _, ops := range [][]common.Address{o.FailedOperators, o.WaitingOperators, o.Deferred} {
			for _, op := range ops {
				again[op] = true
			}
		}
		for _, op := range b.Operators {
			switch {
			case !again[op]:
				p.ops.reflected(op)
			case !stored[op]:
				p.ops.unreflected(op)
			}
		}
	}
	for _, op := range o.Stored {
		p.ops.reflected(op)
	}
}
