package planner

import (
	"container/heap"
	"math"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// The time- and block-based schedule of the Planner: allocation changes that count at a later
// block, the periodic sweep, and the staleness deadlines of AVSs that forbid stale stakes. Its
// state lives in the Planner's fields scheduled, scheduledKeys, lookahead, updateBlock,
// sweepAnchor, nextSweep, sweepForced and sweepInFlight, whose invariants are written there.

// SetLookahead records a slashable quorum's stake lookahead: its stakes count allocations as of
// block.number + blocks, so an allocation change matters that many blocks before it takes effect.
func (p *Planner) SetLookahead(quorum uint8, blocks uint64) { p.lookahead[quorum] = blocks }

// SetQuorumUpdateBlock records a quorum's quorumUpdateBlockNumber, read from the chain at start.
func (p *Planner) SetQuorumUpdateBlock(quorum uint8, block uint64) { p.updateBlock[quorum] = block }

// SweepNow forces a sweep of every quorum in scope at the next call to Next. It does not move the
// schedule of later sweeps.
func (p *Planner) SweepNow() { p.sweepForced = true }

// schedule dirties the operator of an allocation change once the change counts for its quorum:
// lookahead blocks before it takes effect. The entry is kept even for an operator not registered
// yet, which may register before the change takes effect; membership is checked when it comes due.
func (p *Planner) schedule(ev watcher.Event) {
	var lookahead uint64
	if q, ok := quorumOf(ev); ok {
		lookahead = p.lookahead[q]
	}
	// A slashable quorum's weight is the minimum slashable stake from now to lookahead blocks
	// ahead: a decrease shows lookahead blocks before its effect block, an increase only at it.
	// The magnitude's direction is not in the event, so the operator is checked at both.
	early := uint64(0)
	if ev.EffectBlock > lookahead {
		early = ev.EffectBlock - lookahead
	}
	dueNow := false
	for _, due := range []uint64{early, ev.EffectBlock} {
		if due <= p.head {
			dueNow = true
			continue
		}
		e := schedEntry{block: due, op: ev.Operator}
		if _, ok := p.scheduledKeys[e]; ok {
			continue
		}
		p.scheduledKeys[e] = struct{}{}
		heap.Push(&p.scheduled, e)
	}
	if dueNow {
		p.dirtyOperator(ev.Operator)
	}
}

// sweepDue reports whether a sweep should start now.
func (p *Planner) sweepDue(now time.Time) bool {
	if p.sweepInFlight {
		return false
	}
	return p.sweepForced || (p.cfg.SyncInterval > 0 && !now.Before(p.nextSweep))
}

// sweepSucceeded ends a sweep: the next one is the first scheduled instant after now.
func (p *Planner) sweepSucceeded(now time.Time) {
	p.sweepForced = false
	if p.cfg.SyncInterval <= 0 || now.Before(p.sweepAnchor) {
		return
	}
	periods := now.Sub(p.sweepAnchor)/p.cfg.SyncInterval + 1
	p.nextSweep = p.sweepAnchor.Add(periods * p.cfg.SyncInterval)
}

// deadlinesDue returns the quorums in among whose staleness deadline the head has reached.
func (p *Planner) deadlinesDue(among quorumSet) quorumSet {
	var due quorumSet
	if !p.cfg.StaleStakesForbidden {
		return due
	}
	for _, q := range among.list() {
		if p.head >= p.deadline(q) {
			due.add(q)
		}
	}
	return due
}

// deadline is the block from which quorum q must be swept: its last refresh plus the withdrawal
// delay, less the margin.
func (p *Planner) deadline(q uint8) uint64 {
	d := p.updateBlock[q] + p.cfg.WithdrawalDelayBlocks
	if d < p.updateBlock[q] { // overflow: never due
		return math.MaxUint64
	}
	if d < p.cfg.DeadlineMargin {
		return 0
	}
	return d - p.cfg.DeadlineMargin
}

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
