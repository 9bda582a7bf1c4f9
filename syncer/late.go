package syncer

import (
	"context"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/watcher"
)

// AVSKeyed is a reader whose reads of the AllocationManager are keyed by the AVS address, which
// RegistryCoordinator.setAVS can change while the daemon runs.
type AVSKeyed interface {
	SetAVS(avs common.Address)
}

// changes is what events told the loop to read again before it plans: state the planner cannot
// derive from events alone. Only the loop goroutine touches it.
type changes struct {
	// registered are operators that registered while the daemon ran, by registration block:
	// their pending allocations were announced before they were ours, so they are read from the
	// AllocationManager, as the start-up load does for everyone.
	registered map[uint64][]common.Address
	// slashable are the slashable quorums as of the last load; loaded is the block of the
	// start-up load, which checked everyone registered by then and read their allocations.
	slashable []uint8
	loaded    uint64
	// failing is set while reading registrants' allocations fails, so that it is logged once.
	failing bool
	// avs is set after the AVS address changed: every operator is checked once the quorums and
	// pending allocations are read again under the new address.
	avs bool
}

// note records what ev asks to be read again.
func (s *Syncer) note(ev watcher.Event) {
	switch ev.Kind {
	case watcher.OperatorRegistered:
		if ev.Removed || ev.Block <= s.changes.loaded {
			return
		}
		if s.changes.registered == nil {
			s.changes.registered = map[uint64][]common.Address{}
		}
		s.changes.registered[ev.Block] = append(s.changes.registered[ev.Block], ev.Operator)
	case watcher.AVSChanged:
		avs := ev.AVS
		if ev.Removed {
			avs = ev.PrevAVS
		}
		if r, ok := s.reader.(AVSKeyed); ok {
			r.SetAVS(avs)
		}
		s.quorumsStale, s.changes.avs = true, true
		s.log.Info("the AVS's operator sets moved to another address; re-reading pending allocations and checking every operator",
			"avs", avs, "block", ev.Block, "removed", ev.Removed)
	}
}

// reloaded checks every operator after a reload that followed a change of the AVS address.
func (s *Syncer) reloaded(p *planner.Planner, ops []common.Address) {
	if !s.changes.avs {
		return
	}
	s.changes.avs = false
	p.Recheck(ops...)
}

// scheduleRegistered schedules the pending allocations of operators that registered since the
// last call: an operator who allocated and then registered gains weight at the effect block, with
// no event then. They are read at the planner's head, which recent state any node keeps; an
// allocation that took effect between the registration and the head has moved the weight already,
// so such operators are also checked now (a read; a transaction only if stale). A failed read is
// retried at the next turn of the loop.
func (s *Syncer) scheduleRegistered(ctx context.Context, p *planner.Planner) {
	if len(s.changes.registered) == 0 {
		return
	}
	var ops []common.Address
	head := p.Head()
	for _, block := range slices.Sorted(maps.Keys(s.changes.registered)) {
		ops = append(ops, s.changes.registered[block]...)
	}
	ctx, cancel := s.readContext(ctx, lateReads, true)
	defer cancel()
	pending, err := s.reader.PendingAllocations(ctx, ops, s.changes.slashable, head)
	if err != nil {
		if !s.changes.failing {
			s.log.Warn("reading the pending allocations of newly registered operators failed; retrying",
				"operators", len(ops), "block", head, "err", err)
		}
		s.changes.failing = true
		return
	}
	s.changes.failing = false
	p.Together(func() {
		for _, a := range pending {
			p.ScheduleAllocation(a.Operator, a.Quorum, a.EffectBlock)
		}
		for block, regs := range s.changes.registered {
			if block < head {
				p.Recheck(regs...)
			}
		}
	})
	if len(pending) > 0 {
		s.log.Info("pending allocations of newly registered operators scheduled", "operators", len(ops), "block", head, "pending_allocations", len(pending))
	}
	clear(s.changes.registered)
}
