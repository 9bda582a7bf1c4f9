package planner

import (
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/backoff"
)

// Reasons work is held back instead of sent, as in HeldBack and the held_back_operators metric.
const (
	// HeldImmaterial: the operator's stake moved by less than Config.MinStakeChange; the sweep
	// stores it (unless SweepMaterial).
	HeldImmaterial = "immaterial"
	// HeldSetAside: its update failed Config.MaxFailures times; it waits for the next sweep
	// (a new event does not release it: see markDirty).
	HeldSetAside = "set_aside"
	// HeldBudget: the daily gas budget is spent; only deadline refreshes go out.
	HeldBudget = "budget"
	// HeldFeeCap: fees are above the cap (or the sender has no funds); nothing is sent until they
	// fall.
	HeldFeeCap = "fee_cap"
)

// HeldReasons lists every held-back reason, for metrics initialised at zero.
var HeldReasons = []string{HeldImmaterial, HeldSetAside, HeldBudget, HeldFeeCap}

// Outcome is what became of a batch handed out by Next, reported to Done part by part: what is
// not named in it landed (or was found to need nothing).
type Outcome struct {
	// Err: the batch failed as a whole before anything was sent (its chain reads failed). All of it
	// is taken back, ready at once, without counting a failure against the work; the owner backs
	// off before the next batch.
	Err error
	// FailedOperators and FailedQuorums did not land by their own doing: they revert (mined or in
	// their estimate) or are too large. Each is taken back after a backoff that grows with its
	// consecutive failures; after Config.MaxFailures it is set aside until the next
	// sweep. A failed quorum refresh comes back as MembersOnly first, then as a refresh.
	FailedOperators []common.Address
	FailedQuorums   []uint8
	// FailedLists are the updateOperators lists of more than one operator among FailedOperators,
	// as sent. Which operator of a list made it fail (a transaction mined and reverted names
	// none) is unknown: each list's operators come back in smaller lists of their own (see
	// operatorQueue.split), so the one at fault ends up alone and the others land.
	FailedLists [][]common.Address
	// WaitingOperators and WaitingQuorums did not land for a reason that is not theirs (fees above
	// the cap, no funds, the node refused or dropped the send, shutdown, or a quorum refresh that
	// failed around them): taken back, ready at once, not counted. The owner decides when to ask
	// Next again.
	WaitingOperators []common.Address
	WaitingQuorums   []uint8
	// Immaterial are operators of the batch the materiality rule left to the sweep.
	Immaterial []common.Address
	// Deferred are stale operators the budget cannot pay for now: of a ChurnLineOnly batch, those
	// away from any churn line; of a budgeted plan, the least valuable (Resolution.Deferred).
	// They are held back for the budget (HeldBudget) until it is available again.
	Deferred []common.Address
	// Stored are the operators whose stored stakes the batch's mined transactions wrote (an
	// updateOperators' list, a refreshed quorum's members), members of its quorums included; one
	// may come more than once. Their first events count as reflected (FirstEvents).
	Stored []common.Address
}

// Failed reports whether any part of the batch failed (waiting parts are not failures).
func (o Outcome) Failed() bool {
	return o.Err != nil || len(o.FailedOperators) > 0 || len(o.FailedQuorums) > 0
}

// Done takes back a batch from Next with what became of it. Whatever the outcome does not name
// landed: a quorum refresh counts as stored at b.Head until the chain says when exactly, and a
// sweep advances the schedule even when some of its quorums failed, since those come back on their
// own (a mined refresh is never sent again for another's failure); NextSweep stays at its slot
// until they land. Operators and quorums dirtied while the batch was out become ready again.
func (p *Planner) Done(b Batch, o Outcome) {
	now := p.now()
	if o.Failed() {
		p.stats.Retries++
	}
	p.reflected(b, o)
	failedOps := make(map[common.Address]bool, len(o.FailedOperators))
	for _, op := range o.FailedOperators {
		failedOps[op] = true
	}
	waitingOps := make(map[common.Address]bool, len(o.WaitingOperators))
	for _, op := range o.WaitingOperators {
		waitingOps[op] = true
	}
	for _, op := range b.Operators {
		if o.Err != nil || failedOps[op] || waitingOps[op] {
			p.ops.release(op) // taken back below
			continue
		}
		p.ops.landed(op)
	}
	if o.Err != nil {
		for _, op := range b.Operators {
			p.ops.takeBack(op, now)
		}
	}
	// Failed and waiting operators may come from a quorum's members, outside b.Operators.
	for _, op := range o.FailedOperators {
		p.failOperator(op, now)
	}
	for _, list := range o.FailedLists {
		p.ops.split(list, p.cfg.MaxFailures)
	}
	for _, op := range o.WaitingOperators {
		p.ops.takeBack(op, now)
	}
	for _, op := range o.Immaterial {
		if !p.ops.isDirty(op) && !failedOps[op] {
			p.ops.hold(op, HeldImmaterial)
		}
	}
	for _, op := range o.Deferred {
		if !p.ops.isDirty(op) && !failedOps[op] {
			p.ops.hold(op, HeldBudget)
		}
	}

	failedQs, waitingQs := quorumsOf(o.FailedQuorums), quorumsOf(o.WaitingQuorums)
	for _, w := range b.Work {
		if w.Mode != QuorumNoWork {
			p.quorums.release(w.Quorum)
		}
	}
	switch {
	case o.Err != nil:
		for _, w := range b.Work {
			switch w.Mode {
			case QuorumRefresh, QuorumMembersOnly:
				p.quorums.requeue(w.Quorum, now, b.Reason, w.Mode)
			case QuorumMembers, QuorumMaterialMembers:
				p.quorums.requeue(w.Quorum, now, b.Reason, QuorumMembers)
			}
		}
	default:
		for _, w := range b.Work {
			q := w.Quorum
			switch {
			case w.Mode == QuorumRefresh && !failedQs.has(q) && !waitingQs.has(q):
				p.quorums.landed(q)
				// The refresh landed at or after b.Head; without this the deadline check would
				// hand the quorum out again until the watcher reports QuorumBlockNumberUpdated.
				p.deadlines.landed(q, b.Head)
			case w.Mode == QuorumMembersOnly:
				// Its stale members went first; now the refresh itself, after the backoff its
				// failures earned if something failed again.
				at := now
				if o.Failed() {
					at = now.Add(p.backoff(p.quorums.failureCount(q)))
				}
				p.quorums.requeue(q, at, b.Reason, QuorumRefresh)
			}
		}
		for _, q := range o.FailedQuorums {
			p.failQuorum(q, now, b.Reason)
		}
		for _, q := range o.WaitingQuorums {
			p.quorums.requeue(q, now, b.Reason, QuorumRefresh)
		}
	}
	p.sweepOwed(b, o)
	if b.sweep {
		p.sweep.inFlight = false
		if o.Err == nil {
			p.sweep.succeeded(now)
		}
	}
}

// failOperator counts a failed update of op and takes it back after a backoff, or sets it aside
// once it has failed MaxFailures times in a row.
func (p *Planner) failOperator(op common.Address, now time.Time) {
	if p.ops.fail(op, now, p.cfg.MaxFailures, p.backoff) {
		p.stats.SetAside++
	}
}

// nextGroup hands out the ready operators of one part of a failed list (see operatorQueue.split),
// alone in their batch so that another list's operators never share their transaction. Which
// operator of a list made it fail is unknown: each part is half the list or smaller, so the one at
// fault is alone when it is set aside, after MaxFailures transactions, and the others land after
// at most MaxFailures-1 failed ones. With MaxFailures 1 a failed list is set aside whole. It
// reports false when no such operator is ready.
func (p *Planner) nextGroup(now time.Time) (Batch, bool) {
	if p.budgetExhausted {
		return Batch{}, false
	}
	ops := p.ops.popGroup(now)
	if len(ops) == 0 {
		return Batch{}, false
	}
	p.stats.Batches++
	return Batch{Head: p.head, Reason: ReasonDirty, Operators: ops}, true
}

// failQuorum counts a failed refresh of q and takes it back as MembersOnly after a backoff, or
// sets it aside once it has failed MaxFailures times in a row.
func (p *Planner) failQuorum(q uint8, now time.Time, reason Reason) {
	if p.quorums.fail(q, now, reason, p.cfg.MaxFailures, p.backoff) {
		p.stats.SetAside++
	}
}

// backoff is the wait before retry n (from 1) of the same work: RetryBackoff doubling, capped at
// MaxRetryBackoff.
func (p *Planner) backoff(n int) time.Duration {
	base, ceiling := p.cfg.RetryBackoff, p.cfg.MaxRetryBackoff
	if base <= 0 {
		base = DefaultRetryBackoff
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxRetryBackoff
	}
	return backoff.Policy{First: base, Max: ceiling}.Delay(n)
}

// sweepHandedOut gives set-aside and immaterial work its chance again: the sweep refreshes it, and
// if the sweep's refresh fails, its members come back as candidates.
func (p *Planner) sweepHandedOut() {
	p.ops.clearRetries()
	p.quorums.clearRetries()
}

// BudgetState is what the gas budget allows now.
type BudgetState int

const (
	// BudgetAvailable: work held back for the budget is due again, after Debounce.
	BudgetAvailable BudgetState = iota
	// BudgetPaced: work held back for its pace (Resolution.PaceShare) waits until the budget has
	// room for it within its share; new work still goes out, ranked by value.
	BudgetPaced
	// BudgetExhausted: the budget is spent. Next hands out only deadline refreshes and, where a
	// quorum is full, the operators at its churn line; other dirty operators wait (HeldBudget).
	BudgetExhausted
)

// SetBudget says what the gas budget allows now.
func (p *Planner) SetBudget(state BudgetState) {
	if state == BudgetAvailable || (p.budgetExhausted && state != BudgetExhausted) {
		// Work deferred for the budget is due again (also when the budget grew while it was
		// not spent: a trimmed plan defers work without the budget ever counting as spent).
		// Leaving the spent budget for its pace, what waited for the budget, however
		// valuable, is read and ranked again: the pace holds back only what it ranks low.
		// They are ready after the debounce (an owner that sets the budget at every turn does
		// not read them again sooner), and so is every dirty operator due before then, not yet
		// handed out or dirtied again while in a batch: they are ranked against each other in
		// one batch. A release adds at most Debounce to what it finds waiting.
		released := p.ops.unholdAll(HeldBudget)
		if len(released) > 0 {
			now := p.now()
			ready := now.Add(p.cfg.Debounce)
			for _, op := range released {
				p.markDirty(op, func(time.Time) time.Time { return ready })
			}
			p.ops.notBefore(ready)
			if c := &p.coalesce; now.Before(c.release) && c.release.Before(ready) {
				// A change joining the waiting group goes with it and the released work.
				c.release = ready
			}
		}
	}
	p.budgetExhausted = state == BudgetExhausted
}

// HeldBack returns the operators held back and why (the Held* reasons): immaterial changes and
// set-aside failures by operator; while the budget is spent, every dirty operator is held back
// for it.
func (p *Planner) HeldBack() map[common.Address]string {
	out := p.ops.heldBackCopy()
	if p.budgetExhausted {
		for op := range p.ops.dirtyOps() {
			out[op] = HeldBudget
		}
	}
	return out
}

// SetAsideQuorums returns the quorums whose refresh failed MaxFailures times and waits for the
// next sweep or configuration event.
func (p *Planner) SetAsideQuorums() []uint8 { return p.quorums.aside.list() }
