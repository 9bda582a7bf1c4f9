package planner

import (
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// The time- and block-based schedule of the Planner: allocation changes that count at a later
// block (allocationSchedule), the periodic sweep (sweepClock), and the staleness deadlines of AVSs
// that forbid stale stakes (deadlineSchedule, against the Planner's head).

// SetLookahead records a slashable quorum's stake lookahead: its stakes count allocations as of
// block.number + blocks, so an allocation change matters that many blocks before it takes effect.
func (p *Planner) SetLookahead(quorum uint8, blocks uint64) { p.allocations.lookahead[quorum] = blocks }

// SetQuorumUpdateBlock records a quorum's quorumUpdateBlockNumber as read from the chain, at start
// and at each reload. A read at or past the block of a whole refresh a reorg removed shows it back
// on the canonical chain.
func (p *Planner) SetQuorumUpdateBlock(quorum uint8, block uint64) { p.deadlines.read(quorum, block) }

// SetStaleStakes applies the AVS's stale-stakes rule as last read from the chain: whether its
// signature checkers forbid stale stakes, and the withdrawal delay that then bounds a quorum's
// staleness (0: unknown, and no deadline can be kept). A DeadlineMargin not below the delay is
// taken as a tenth of it. It reports whether the rule changed.
func (p *Planner) SetStaleStakes(forbidden bool, delayBlocks uint64) bool {
	return p.deadlines.setRule(forbidden, delayBlocks)
}

// StaleStakesForbidden reports whether the planner keeps staleness deadlines: the AVS forbids
// stale stakes and the withdrawal delay is known.
func (p *Planner) StaleStakesForbidden() bool { return p.deadlines.forbidden }

// DeadlineMargin is how many blocks before a quorum's stale-stakes deadline its refresh goes out:
// Config.DeadlineMargin, or a tenth of the withdrawal delay where that margin would eat it.
func (p *Planner) DeadlineMargin() uint64 { return p.deadlines.margin() }

// NextSweep returns when the next scheduled sweep is due, and false when sweeps are not scheduled
// (SyncInterval 0). It stays at a scheduled sweep's slot until that sweep has landed whole: while
// the gas budget holds it back, while it fails before anything is sent, and, once it came back
// with parts that failed or wait for fees, until those parts land on their own or with a later
// sweep. So a sweep overdue by an interval is one that has not landed for an interval.
func (p *Planner) NextSweep() (time.Time, bool) {
	if p.sweep.interval <= 0 {
		return time.Time{}, false
	}
	return p.sweep.DueAt(), true
}

// sweepOwed keeps the account of the scheduled sweep not landed whole (sweepClock.owed) once b
// came back with o: a sweep owes the parts of it that failed or wait, and any batch pays back
// the owed parts that landed in it.
func (p *Planner) sweepOwed(b Batch, o Outcome) {
	c := &p.sweep
	if o.Err != nil {
		return // nothing landed; a sweep is due again at its slot
	}
	missed := quorumsOf(o.FailedQuorums).union(quorumsOf(o.WaitingQuorums))
	missedOps := make(map[common.Address]struct{}, len(o.FailedOperators)+len(o.WaitingOperators))
	for _, op := range append(slices.Clone(o.FailedOperators), o.WaitingOperators...) {
		missedOps[op] = struct{}{}
	}
	// A quorum refreshed whole or read member by member has landed, unless missed. A members-only
	// round does not pay back a refresh owed, except in the sweep's own batch: there the sweep
	// audits the quorum member by member too (Next folds that audit into the round).
	landed := b.quorums(func(w QuorumWork) bool {
		switch w.Mode {
		case QuorumRefresh, QuorumMembers, QuorumMaterialMembers:
			return true
		case QuorumMembersOnly:
			return b.sweep
		}
		return false
	})
	c.owedQuorums = c.owedQuorums.minus(landed.minus(missed))
	if b.sweep {
		// The sweep read or refreshed every operator of its quorums: what it misses replaces
		// what was owed of them.
		c.owedQuorums = c.owedQuorums.union(missed)
		c.owedOps = missedOps
		c.Owe(c.slot) // zero for a forced sweep off the schedule, which owes nothing
	} else {
		for _, op := range b.Operators {
			if _, ok := missedOps[op]; !ok {
				delete(c.owedOps, op)
			}
		}
	}
	// Work that left the AVS or the scope never lands.
	c.owedQuorums = c.owedQuorums.intersect(p.inScope())
	for op := range c.owedOps {
		if !p.ops.isRegistered(op) {
			delete(c.owedOps, op)
		}
	}
	if c.owed.IsZero() || (c.owedQuorums.empty() && len(c.owedOps) == 0) {
		c.Paid()
		c.owedQuorums, c.owedOps = quorumSet{}, nil
	}
}

// SweepNow forces a sweep of every quorum in scope at the next call to Next. It does not move the
// schedule of later sweeps.
func (p *Planner) SweepNow() { p.sweep.forced = true }

// ScheduleAllocation schedules an allocation change of op to quorum's operator set, taking effect
// at effectBlock, that the owner read from the chain instead of seeing its event (pending at
// start-up, or announced before op registered): op is checked when the change counts, as for an
// AllocationChanged event.
func (p *Planner) ScheduleAllocation(op common.Address, quorum uint8, effectBlock uint64) {
	if p.allocations.schedule(op, p.allocations.lookahead[quorum], effectBlock, p.head) {
		p.dirtyOperator(op)
	}
}

// scheduleEvent schedules the allocation change an AllocationChanged event announces.
func (p *Planner) scheduleEvent(ev watcher.Event) {
	var lookahead uint64
	if q, ok := quorumOf(ev); ok {
		lookahead = p.allocations.lookahead[q]
	}
	if p.allocations.schedule(ev.Operator, lookahead, ev.EffectBlock, p.head) {
		p.dirtyOperator(ev.Operator)
	}
}

// deadlinesDue returns the quorums in among whose staleness deadline the head has reached.
func (p *Planner) deadlinesDue(among quorumSet) quorumSet { return p.deadlines.due(among, p.head) }

// StaleStakesDeadline returns the block from which an AVS that forbids stale stakes rejects quorum
// q's stored stakes (its last whole refresh plus the withdrawal delay; the refresh goes out
// DeadlineMargin blocks before), and false when the AVS accepts stale stakes.
func (p *Planner) StaleStakesDeadline(q uint8) (uint64, bool) {
	return p.deadlines.staleStakesDeadline(q)
}

// SweepSchedule is the slot arithmetic of scheduled sweeps, shared by the daemon's planner
// (sweepClock) and the one-shot cron: sweeps fall on anchor + k*interval, k >= 0; next is the
// first of them not yet swept, and owed the slot of the earliest scheduled sweep that has not
// landed whole since (zero when none). With no interval it schedules nothing and every time is
// zero. The zero value is such a schedule.
type SweepSchedule struct {
	interval           time.Duration
	anchor, next, owed time.Time
}

// NewSweepSchedule returns the schedule of sweeps every interval from the first: at first's next
// time of day from start if set, else delay after start (the daemon checks every operator at
// start and sweeps an interval later; the cron sweeps at once).
func NewSweepSchedule(interval time.Duration, first TimeOfDay, start time.Time, delay time.Duration) SweepSchedule {
	s := SweepSchedule{interval: interval}
	if interval <= 0 {
		return s
	}
	if first.IsSet() {
		s.anchor = first.Next(start)
	} else {
		s.anchor = start.Add(delay)
	}
	s.next = s.anchor
	return s
}

// Next returns the first slot not yet swept.
func (s *SweepSchedule) Next() time.Time { return s.next }

// DueAt returns when the next sweep is due: the owed slot while a scheduled sweep has not landed
// whole, else Next.
func (s *SweepSchedule) DueAt() time.Time {
	if !s.owed.IsZero() {
		return s.owed
	}
	return s.next
}

// Advance moves Next past a sweep that ended at now: to the first slot after now, so a sweep
// that overran a slot skips it rather than sweeping twice in a row. Before the first slot it
// moves nothing, and it never moves Next back.
func (s *SweepSchedule) Advance(now time.Time) {
	if s.interval <= 0 || now.Before(s.anchor) {
		return
	}
	periods := now.Sub(s.anchor)/s.interval + 1
	if next := s.anchor.Add(periods * s.interval); next.After(s.next) {
		s.next = next
	}
}

// Owe records that the sweep of slot did not land whole; the earliest slot owed is kept until
// Paid. A zero slot (a sweep off the schedule) owes nothing.
func (s *SweepSchedule) Owe(slot time.Time) {
	if s.owed.IsZero() {
		s.owed = slot
	}
}

// Paid records that what was owed has landed.
func (s *SweepSchedule) Paid() { s.owed = time.Time{} }

// sweepClock is the daemon's schedule of periodic sweeps: the scheduled slots (SweepSchedule),
// and the sweeps forced or in flight. forced is set by SweepNow and cleared when a sweep
// succeeds; inFlight is set while a sweep is outstanding, and no other starts then.
//
// A sweep that comes back with parts that failed or wait moves next on all the same (those parts
// come back on their own). owed keeps the slot of the earliest scheduled sweep that has not
// landed whole until they do: it is zero exactly when owedQuorums and owedOps are empty, which
// hold the quorums (refreshed or resolved whole) and operators of that sweep still to land. slot
// is the scheduled slot of the sweep in flight, zero for a forced one off the schedule.
type sweepClock struct {
	SweepSchedule
	forced      bool
	inFlight    bool
	slot        time.Time
	owedQuorums quorumSet
	owedOps     map[common.Address]struct{}
}

// newSweepClock starts the schedule at start: the first sweep at first's next time of day if set,
// else one interval later.
func newSweepClock(interval time.Duration, first TimeOfDay, start time.Time) sweepClock {
	return sweepClock{SweepSchedule: NewSweepSchedule(interval, first, start, interval)}
}

// due reports whether a sweep should start now.
func (c *sweepClock) due(now time.Time) bool {
	if c.inFlight {
		return false
	}
	return c.forced || (c.interval > 0 && !now.Before(c.next))
}

// start marks a sweep handed out at now, on the scheduled slot if one is due.
func (c *sweepClock) start(now time.Time) {
	c.inFlight = true
	c.slot = time.Time{}
	if c.interval > 0 && !now.Before(c.next) {
		c.slot = c.next
	}
}

// succeeded ends a sweep: the next one is the first scheduled instant after now (Advance).
func (c *sweepClock) succeeded(now time.Time) {
	c.forced = false
	c.Advance(now)
}

// wake is when the next sweep may start, if one is scheduled or forced and none is in flight.
func (c *sweepClock) wake(now time.Time) (time.Time, bool) {
	switch {
	case c.inFlight:
		return time.Time{}, false
	case c.forced:
		return now, true
	case c.interval > 0:
		return c.next, true
	}
	return time.Time{}, false
}
