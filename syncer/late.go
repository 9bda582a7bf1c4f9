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
	// their allocations pending then were announced before they were ours, so they are read
	// from the AllocationManager, as the start-up load does for everyone.
	registered map[uint64][]common.Address
	// slashable are the slashable quorums as of the last load.
	slashable []uint8
	// avs is set after the AVS address changed: every operator is checked once the quorums and
	// pending allocations are read again under the new address.
	avs bool
}

// note records what ev asks to be read again.
func (s *Syncer) note(ev watcher.Event) {
	switch ev.Kind {
	case watcher.OperatorRegistered:
		if ev.Removed {
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
func (s *Syncer) reloaded(p *planner.Planner, head uint64, ops []common.Address) {
	if !s.changes.avs {
		return
	}
	s.changes.avs = false
	for _, op := range ops {
		p.Observe(watcher.Event{Kind: watcher.SharesChanged, Name: "AVSUpdated", Operator: op, Block: head})
	}
}

// scheduleRegistered schedules the allocations of operators that registered since the last call,
// pending at their registration block: an operator who allocated and then registered gains weight
// at the effect block, with no event then. A failed read is retried at the next turn of the loop.
func (s *Syncer) scheduleRegistered(ctx context.Context, p *planner.Planner) {
	if len(s.changes.registered) == 0 {
		return
	}
	ctx, cancel := s.readContext(ctx, 3)
	defer cancel()
	for _, block := range slices.Sorted(maps.Keys(s.changes.registered)) {
		ops := s.changes.registered[block]
		pending, err := s.reader.PendingAllocations(ctx, ops, s.changes.slashable, block)
		if err != nil {
			s.log.Warn("reading the pending allocations of newly registered operators failed; retrying",
				"operators", len(ops), "block", block, "err", err)
			return
		}
		for _, a := range pending {
			p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Name: "pending", Operator: a.Operator, Quorum: int(a.Quorum), EffectBlock: a.EffectBlock, Block: block})
		}
		if len(pending) > 0 {
			s.log.Info("pending allocations of newly registered operators scheduled", "operators", len(ops), "block", block, "pending_allocations", len(pending))
		}
		delete(s.changes.registered, block)
	}
}
