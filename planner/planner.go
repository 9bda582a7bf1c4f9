// Package planner decides which operators and quorums of the AVS need their stored stakes refreshed,
// and when: it turns watcher events into batches of work (Planner), and batches into the
// transactions worth sending (Resolver).
package planner

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// SweepMode is what a sweep does (Config.SweepMode).
type SweepMode string

const (
	// SweepRefresh refreshes every quorum whole with updateOperatorsForQuorum (the original tool).
	SweepRefresh SweepMode = "refresh"
	// SweepAudit reads every operator's stored stake against its weight (free eth_calls) and sends
	// only the stale ones, in the cheapest shape: a quiet day costs no gas.
	SweepAudit SweepMode = "audit"
	// SweepMaterial audits like SweepAudit but holds the sweep to the materiality rule too
	// (Config.MinStakeChange): an operator whose stored stake is within the threshold of its weight
	// is left as it is. Stored stakes then stay within the threshold of their weights (plus what
	// changes while an update is on its way), and a drift below it is never paid for.
	SweepMaterial SweepMode = "material"
)

// DefaultFullQuorumRatio is the FullQuorumRatio used when Config leaves it 0. On the devnet
// updateOperators costs about 198k gas plus 165k per operator and updateOperatorsForQuorum about
// 200k plus 110k to 155k per operator of the quorum, so refreshing a whole quorum only saves gas
// when nearly all of it is stale.
const DefaultFullQuorumRatio = 0.9

// Config says how the planner batches and schedules work. It is filled by the command line and,
// for the stale-stake fields, by feature detection on the chain before New is called.
type Config struct {
	// Debounce is how long an operator stays dirty before it is handed out, counted from the first
	// event that dirtied it: a burst of events costs one update, and latency stays bounded by it
	// (plus MaxStaleness when set, and at most another Debounce when the budget releases work).
	// Quorum configuration changes are debounced the same way.
	Debounce time.Duration
	// SyncInterval is the period of full sweeps of every quorum in scope; 0 disables scheduled
	// sweeps (SweepNow still forces one).
	SyncInterval time.Duration
	// FirstSyncTime, if set, is the time of day of the first scheduled sweep; unset, the first comes
	// SyncInterval after New. Later sweeps follow every SyncInterval from the first, so they do not
	// drift by the time each sweep takes. Ignored when SyncInterval is 0.
	FirstSyncTime TimeOfDay
	// Quorums limits the planner and resolver to these quorums; empty means every quorum.
	Quorums []uint8
	// StaleStakesForbidden is set when the AVS's signature checker rejects stale stakes: each quorum
	// in scope must then be refreshed whole before WithdrawalDelayBlocks pass since its last refresh.
	StaleStakesForbidden bool
	// WithdrawalDelayBlocks is the DelegationManager's withdrawal delay in blocks.
	WithdrawalDelayBlocks uint64
	// DeadlineMargin is how many blocks before the deadline a quorum is swept, so the transaction
	// has time to land; it must be below WithdrawalDelayBlocks.
	DeadlineMargin uint64
	// MaxStaleness, when above 0, is the latency budget of a busy AVS: an operator dirtied within
	// MaxStaleness of the previous change waits with the changes around it and goes out with
	// them at most MaxStaleness after its change, in fewer transactions; the first change after
	// a quiet MaxStaleness still goes after Debounce. The changes of one instant (one watcher
	// batch: see Together) are one change. 0 (default) hands every change out after Debounce.
	MaxStaleness time.Duration
	// SweepMode is what a scheduled or forced sweep does: "" and SweepRefresh refresh every quorum
	// in scope whole, as the original tool does; SweepAudit reads every operator's stored stake
	// against its weight and sends only what is stale, in the cheapest shape; SweepMaterial
	// audits and sends only what is stale by at least MinStakeChange. Deadlines refresh whole in
	// every mode.
	SweepMode SweepMode
	// CostModel, when set, replaces FullQuorumRatio: a quorum is refreshed whole only where the
	// model predicts that costs less gas than updateOperators of its stale operators.
	CostModel *CostModel
	// FullQuorumRatio: when more than this fraction of a quorum's operators are stale, Resolve
	// refreshes the whole quorum instead (fewer transactions, and it resets the quorum's staleness
	// clock). 0 means DefaultFullQuorumRatio; 1 or more never escalates.
	FullQuorumRatio float64
	// MinStakeChange is the materiality rule of event-driven updates: an operator of
	// Batch.Operators whose stored stake differs from its weight by less than this fraction of the
	// stored stake is left to the sweep, unless the change crosses the quorum minimum or the stored
	// stake is 0. 0 sends every difference. Deadlines and configuration changes ignore it; sweeps
	// too, unless SweepMode is SweepMaterial.
	MinStakeChange float64
	// MaxFailures is how many consecutive failures of the same work (an operator's update, a
	// quorum's refresh) set it aside until the next sweep; 0 never does.
	MaxFailures int
	// RetryBackoff is the wait before the first retry of failed work, doubling with each further
	// failure up to MaxRetryBackoff (0: DefaultRetryBackoff, DefaultMaxRetryBackoff).
	RetryBackoff, MaxRetryBackoff time.Duration
}

// Defaults of the retry backoff of failed work.
const (
	DefaultRetryBackoff    = time.Second
	DefaultMaxRetryBackoff = time.Minute
)

// DefaultMinStakeChange is the default materiality threshold: 0.1% of the stored stake. Dust
// moves an operator's weight by far less; a real deposit or slashing by far more.
const DefaultMinStakeChange = 0.001

// Validate reports settings the planner cannot honour.
func (c Config) Validate() error {
	var errs []error
	if c.Debounce < 0 {
		errs = append(errs, fmt.Errorf("debounce %s is negative", c.Debounce))
	}
	if c.SyncInterval < 0 {
		errs = append(errs, fmt.Errorf("sync interval %s is negative", c.SyncInterval))
	}
	if c.FullQuorumRatio < 0 || math.IsNaN(c.FullQuorumRatio) {
		errs = append(errs, fmt.Errorf("full quorum ratio %v is not a fraction", c.FullQuorumRatio))
	}
	if c.MaxStaleness < 0 || (c.MaxStaleness > 0 && c.MaxStaleness < c.Debounce) {
		errs = append(errs, fmt.Errorf("max staleness %s is neither 0 (off) nor at least the debounce %s", c.MaxStaleness, c.Debounce))
	}
	if !slices.Contains([]SweepMode{"", SweepRefresh, SweepAudit, SweepMaterial}, c.SweepMode) {
		errs = append(errs, fmt.Errorf("sweep mode %q is none of %s, %s and %s", c.SweepMode, SweepAudit, SweepMaterial, SweepRefresh))
	}
	if c.MinStakeChange < 0 || c.MinStakeChange >= 1 || math.IsNaN(c.MinStakeChange) {
		errs = append(errs, fmt.Errorf("minimum stake change %v is not a fraction below 1", c.MinStakeChange))
	}
	if c.MaxFailures < 0 {
		errs = append(errs, fmt.Errorf("max failures %d is negative", c.MaxFailures))
	}
	if c.StaleStakesForbidden && c.DeadlineMargin >= c.WithdrawalDelayBlocks {
		// A margin that eats the whole delay would make every quorum due again right after its refresh.
		errs = append(errs, fmt.Errorf("deadline margin %d blocks is not below the withdrawal delay of %d blocks",
			c.DeadlineMargin, c.WithdrawalDelayBlocks))
	}
	return errors.Join(errs...)
}

// Batch is one unit of work handed out by Next: operators whose stakes may be stale, and quorums
// to refresh whole, as of block Head. Each batch goes back to Done exactly once.
type Batch struct {
	// Operators are sorted ascending.
	Operators []common.Address
	// Work is what the batch does with each of its quorums, one record per quorum, ascending by
	// quorum.
	Work []QuorumWork
	// Reason is the most urgent of the reasons the batch's parts were due for.
	Reason Reason
	// Head is the chain head when the batch was made: the block to read the chain at.
	Head uint64

	// ChurnLineOnly: the daily gas budget is spent and a quorum is full. Of the batch's stale
	// operators only those at a churn line are sent (exempt from the budget); the rest are
	// deferred until the budget is available again (Resolution.Deferred).
	ChurnLineOnly bool
	// Caps are the operator caps of the quorums that have one (Planner.SetOperatorCap): where a
	// quorum is at its cap, the stored stakes at its churn line are exempt from the materiality
	// rule. Read only.
	Caps map[uint8]uint32

	// GasLimited: a gas budget applies and GasLeft is what remains of it (set by the owner of the
	// budget before Resolve). Resolve then keeps, of the stale operators, the most valuable per
	// gas that fit (see Candidate); deadline and churn-line batches are exempt.
	GasLimited bool
	GasLeft    uint64
	// GasLimit is the budget's limit, whose pace (PaceFloor) holds the least valuable changes
	// back once they have spent half of it; 0 leaves the pace out.
	GasLimit uint64
	// Strategies, when set, are the quorums' strategy counts as the owner last read them: the
	// resolver prices with them instead of reading them again for every batch. Read only.
	Strategies map[uint8]int
	// GasHeadroom, when above the default (the submitter's gas limit multiplier), is the factor
	// between a budgeted plan's predicted gas and the gas limits its transactions asked for, as
	// the owner last measured it (Plan.PredictedGas): the budget must hold that much for a plan.
	GasHeadroom float64

	// sweep marks the batch carrying the scheduled or forced sweep, whose success advances the
	// schedule.
	sweep bool
}

// Stats counts what the planner has seen and holds, for logs and metrics.
type Stats struct {
	// Events is the number of events observed.
	Events uint64
	// Removed is the number of those that a reorg removed.
	Removed uint64
	// NotOurs counts events about operators not registered with the AVS, or quorums out of scope.
	NotOurs uint64
	// Coalesced counts events for an operator or quorum already dirty: the update they would have
	// cost is saved.
	Coalesced uint64
	// Dirtied counts operators made dirty (clean to dirty transitions).
	Dirtied uint64
	// Batches is the number of batches handed out; Retries the number that came back with a part
	// that failed; SetAside counts work set aside after MaxFailures failures.
	Batches, Retries, SetAside uint64

	// Registered, Dirty, Processing and Scheduled are current sizes: registered operators, dirty
	// operators, operators in outstanding batches, allocation changes waiting for their block.
	Registered, Dirty, Processing, Scheduled int
}

// Planner is the debouncing work queue between the watcher and the submitter. It holds which
// operators and quorums are stale, hands them out in batches (Next) and takes them back (Done),
// like client-go's workqueue: an operator dirtied while its batch is in flight is handed out again
// after Done, never twice at once, and never lost.
//
// A Planner starts no goroutine and reads no chain state; it is not safe for concurrent use. Its
// owner serialises every call from one loop, calls Next after each change (Observe, AdvanceHead,
// Done, SweepNow) and again at NextWake. To shut down, the owner stops calling Next and waits for
// the outstanding batches to come back to Done; what is still dirty then is dropped.
type Planner struct {
	// coalesce is the latency budget's state (Config.MaxStaleness); zero when it is off.
	coalesce coalescer
	cfg      Config
	clock    func() time.Time
	// instant, while Together runs, is the one time its calls see.
	instant *time.Time

	// ops is the operator queue: the AVS's operator set (the last SetOperators, plus registrations
	// and minus deregistrations observed since), the dirty operators waiting for Next, those in
	// outstanding batches, and their retry state, held-back reasons and first events.
	ops operatorQueue

	// allocations holds allocation changes not yet in effect, and the quorums' stake lookaheads;
	// every entry's block is above head, since AdvanceHead releases the rest.
	allocations allocationSchedule
	// caps is each quorum's operator cap, where known (SetOperatorCap); full are the quorums at
	// it as of the last load (SetQuorumFull).
	caps map[uint8]uint32
	full quorumSet

	// quorums is the quorum queue: the AVS's quorums (SetQuorums, the Config.Quorums until then,
	// plus quorums announced by QuorumConfigChanged) and which of them are in scope, the quorums
	// waiting for a refresh or their members resolved, those in outstanding batches, and their
	// retry state.
	quorums quorumQueue
	// deadlines is the stale-stakes rule and each quorum's last whole refresh, from which its
	// deadline counts; it owns the rule after New (cfg's stale-stakes fields are its start).
	deadlines deadlineSchedule

	// head is the latest block given to AdvanceHead; 0 until then, and nothing is handed out before,
	// since a batch needs a block to be read at.
	head uint64

	// sweep is the periodic sweep's schedule; its inFlight is set exactly while a batch with sweep
	// set is outstanding.
	sweep sweepClock

	// budgetExhausted is set by the owner while the daily gas budget is spent: Next hands out only
	// deadline work.
	budgetExhausted bool
	// slashable holds the quorums of total-slashable stake, the only ones a lookahead change
	// touches.
	slashable quorumSet

	// needsReload is set when a reorg removed a registration or quorum event: membership cannot be
	// inferred, and the owner must re-read it from the chain.
	needsReload bool
	stats       Stats
}

// New returns a planner with no operators, no head and the sweep schedule starting from now().
// now is the clock (time.Now when nil); cfg should pass Validate.
func New(cfg Config, now func() time.Time) *Planner {
	if now == nil {
		now = time.Now
	}
	p := &Planner{
		cfg:         cfg,
		clock:       now,
		quorums:     newQuorumQueue(cfg.Quorums),
		ops:         newOperatorQueue(),
		allocations: newAllocationSchedule(),
		caps:        make(map[uint8]uint32),
		deadlines:   newDeadlineSchedule(cfg),
	}
	p.sweep = newSweepClock(cfg.SyncInterval, cfg.FirstSyncTime, now())
	return p
}

// SetOperators replaces the registered operator set with one read from the chain, and clears
// NeedsReload. Dirty operators outside the new set are dropped. After a reload, operators new to
// the set are dirtied: events about them were ignored while the set was wrong.
func (p *Planner) SetOperators(operators []common.Address) {
	added := p.ops.setRegistered(operators)
	if p.needsReload {
		p.dirtyOperators(added...)
	}
	p.needsReload = false
}

// SetQuorums replaces the AVS's quorum list with one read from the chain (quorumCount); quorums
// outside Config.Quorums stay out of scope.
func (p *Planner) SetQuorums(quorums []uint8) {
	p.quorums.setKnown(quorums)
}

// SetSlashable records whether a quorum counts total slashable stake (a lookahead change matters
// to it) or total delegated stake.
func (p *Planner) SetSlashable(quorum uint8, slashable bool) {
	if slashable {
		p.slashable.add(quorum)
	} else {
		p.slashable.remove(quorum)
	}
}

// NeedsReload reports that a reorg removed a registration, quorum or whole-refresh event, so the
// operator set, quorum list or a quorum's last refresh may be wrong: the owner should read them
// again and call SetQuorums, SetQuorumUpdateBlock, then SetOperators.
func (p *Planner) NeedsReload() bool { return p.needsReload }

// Observe applies one event from the watcher.
func (p *Planner) Observe(ev watcher.Event) {
	p.stats.Events++
	if ev.Removed {
		// Whatever the log announced must be re-checked against the new canonical chain.
		p.stats.Removed++
	}
	switch ev.Kind {
	case watcher.SharesChanged:
		if p.dirtyOperator(ev.Operator) && !ev.Removed {
			p.noteFirstEvent(ev.Operator, ev.Block)
		}
	case watcher.StakeStored:
		// A stored stake is what the planner's own work produces; only its removal undoes one.
		// The log names the operator by id only, so every registered operator is re-checked:
		// a read per operator, and only the stale ones cost a transaction.
		if ev.Removed {
			p.dirtyOperators(slices.Collect(p.ops.registeredOps())...)
		}
	case watcher.AllocationChanged:
		if ev.Removed {
			// The change may be gone or at another block; what is scheduled stays, and a refresh
			// that finds nothing stale costs only a read.
			p.dirtyOperator(ev.Operator)
			return
		}
		p.scheduleEvent(ev)
	case watcher.OperatorRegistered:
		if ev.Removed {
			p.needsReload = true
			p.dirtyOperator(ev.Operator)
			return
		}
		// Not dirtied: registration has just stored the operator's stake.
		p.ops.register(ev.Operator)
		if len(p.caps) > 0 {
			// A registration may have filled a quorum with an operator cap: the churn line
			// (which stored stakes are kept exact) holds only for quorums known to be full.
			p.needsReload = true
		}
	case watcher.OperatorDeregistered:
		if ev.Removed {
			// The operator is likely registered on the new chain; the reload dirties it.
			p.needsReload = true
			return
		}
		// Deregistration removed the operator's stake itself; its scheduled entries are dropped
		// when they come due.
		p.ops.forget(ev.Operator)
	case watcher.QuorumConfigChanged:
		p.observeQuorumConfig(ev)
	case watcher.QuorumUpdated:
		q, ok := quorumOf(ev)
		if !ok {
			return
		}
		if ev.Removed {
			// The refresh may come back in a later block, and the watcher announces it again; if
			// it does not, the quorum's last whole refresh is the one before, which only the
			// contract knows: the owner reads it again at the new head (NeedsReload).
			p.deadlines.removed(q, ev.Block)
			p.needsReload = true
			return
		}
		// QuorumBlockNumberUpdated carries block.number of the refreshing transaction, which is
		// the block of the log itself.
		p.deadlines.seen(q, ev.Block)
	}
}

// Recheck marks operators dirty whose stakes may be stale without an event saying so (at
// start-up, after a reload, on registration), as an event moving their shares would: each is
// read after Debounce and updated only if stale. Operators not registered are ignored.
func (p *Planner) Recheck(ops ...common.Address) {
	p.dirtyOperators(ops...)
}

// AdvanceHead records a new chain head, and dirties the operators whose allocation changes now
// count. A lower head (after a reorg) is taken as is.
func (p *Planner) AdvanceHead(block uint64) {
	p.head = block
	p.dirtyOperators(p.allocations.release(block)...)
}

// Next hands out everything ready now as one batch, and moves it into processing until Done:
// dirty operators whose debounce has elapsed, dirty quorums, and the quorums due for the sweep or a
// deadline. It reports false when nothing is ready. A deadline refresh goes out in a batch of its
// own, and so does each part of a list of operators that failed together (see
// operatorQueue.split).
func (p *Planner) Next() (Batch, bool) {
	b, ok := p.next()
	if ok && len(p.caps) > 0 {
		b.Caps = maps.Clone(p.caps)
	}
	return b, ok
}

// SetOperatorCap records a quorum's operator cap (maxOperatorCount; 0: none known), read at each
// load and after OperatorSetParamsUpdated.
func (p *Planner) SetOperatorCap(quorum uint8, maxOperators uint32) {
	if maxOperators == 0 {
		delete(p.caps, quorum)
		return
	}
	p.caps[quorum] = maxOperators
}

func (p *Planner) next() (Batch, bool) {
	if p.head == 0 {
		return Batch{}, false
	}
	now := p.now()
	if b, ok := p.nextDeadline(now); ok {
		return b, true
	}
	if b, ok := p.nextGroup(now); ok {
		return b, true
	}
	if b, ok := p.nextChurnLine(now); ok {
		return b, true
	}
	b := Batch{Head: p.head}

	if !p.budgetExhausted {
		if b.Operators = p.ops.popReady(now); len(b.Operators) > 0 {
			b.Reason = ReasonDirty
		}
	}

	var qs, members, membersOnly, material quorumSet
	for q, d := range p.quorums.ready(now, p.budgetExhausted) {
		addByMode(q, d.mode, &qs, &members, &membersOnly)
		b.Reason = mostUrgent(b.Reason, d.reason)
	}
	free := p.quorums.free()
	if p.budgetExhausted {
		// Over the gas budget only deadline refreshes go out; the sweep waits for the budget.
	} else if p.sweep.due(now) {
		// A quorum already in an outstanding batch is being refreshed whole there.
		if free.empty() {
			p.sweep.succeeded(now)
		} else {
			if p.cfg.SweepMode == SweepAudit || p.cfg.SweepMode == SweepMaterial {
				if p.cfg.SweepMode == SweepMaterial {
					// Only what the sweep alone brings: a quorum already due for its configuration
					// or a failed refresh stays exempt.
					material = free.minus(members).minus(membersOnly).minus(qs)
				}
				members = members.union(free)
			} else {
				qs = qs.union(free)
			}
			b.sweep = true
			p.sweep.start(now)
			b.Reason = mostUrgent(b.Reason, ReasonSweep)
		}
	}
	// A quorum handed out whole covers its members too.
	members = members.minus(qs)
	membersOnly = membersOnly.minus(qs)
	all := qs.union(members).union(membersOnly)
	p.quorums.claim(all)
	b.Work = quorumWork(qs, members, membersOnly, material, p.quorums.retrying())
	if b.sweep {
		p.sweepHandedOut()
	}

	if len(b.Operators) == 0 && all.empty() {
		return Batch{}, false
	}
	p.stats.Batches++
	return b, true
}

// nextChurnLine hands out, while the gas budget is spent, the ready dirty operators, for the
// resolver to send only the certificate-critical ones (at the churn line of a full quorum, or
// crossing a quorum minimum): like a deadline refresh, they go out whatever the budget; the rest
// wait for it (HeldBudget).
func (p *Planner) nextChurnLine(now time.Time) (Batch, bool) {
	if !p.budgetExhausted {
		return Batch{}, false
	}
	b := Batch{Head: p.head, Reason: ReasonDirty, ChurnLineOnly: true, Operators: p.ops.popReady(now)}
	if len(b.Operators) == 0 {
		return Batch{}, false
	}
	p.stats.Batches++
	return b, true
}

// AnyFull reports whether a quorum in scope is at its operator cap (SetQuorumFull): then the
// stored stakes at its churn line go out whatever the gas budget.
func (p *Planner) AnyFull() bool { return !p.inScope().intersect(p.full).empty() }

// SetQuorumFull records whether a quorum is at its operator cap, as of the last load.
func (p *Planner) SetQuorumFull(quorum uint8, full bool) {
	if full {
		p.full.add(quorum)
	} else {
		p.full.remove(quorum)
	}
}

// addByMode adds q to the set its mode hands it out in: refreshed whole, resolved member by
// member, or members only.
func addByMode(q uint8, mode QuorumMode, whole, members, membersOnly *quorumSet) {
	switch mode {
	case QuorumMembers:
		members.add(q)
	case QuorumMembersOnly:
		membersOnly.add(q)
	default:
		whole.add(q)
	}
}

// nextDeadline hands out the quorums whose refresh is due for the stale-stakes deadline (and the
// retries of such refreshes), alone: the daily gas budget exempts them, and nothing else may ride
// on that exemption. The work ready beside them goes in the next batch.
func (p *Planner) nextDeadline(now time.Time) (Batch, bool) {
	qs := p.deadlinesDue(p.quorums.free().minus(p.quorums.retrying()))
	var members, membersOnly quorumSet
	for q, d := range p.quorums.ready(now, true) {
		if qs.has(q) {
			continue
		}
		addByMode(q, d.mode, &qs, &members, &membersOnly)
	}
	members, membersOnly = members.minus(qs), membersOnly.minus(qs)
	all := qs.union(members).union(membersOnly)
	if all.empty() {
		return Batch{}, false
	}
	p.quorums.claim(all)
	p.stats.Batches++
	return Batch{Head: p.head, Work: quorumWork(qs, members, membersOnly, quorumSet{}, quorumSet{}), Reason: ReasonDeadline}, true
}

// NextWake returns the earliest time at which Next may have something to hand out, so the owner
// can set a timer instead of polling; a time not after now means at once. It reports false when
// nothing waits on time. Allocation changes wait on blocks, not time: AdvanceHead releases them.
func (p *Planner) NextWake() (time.Time, bool) {
	if p.head == 0 {
		return time.Time{}, false
	}
	var wake time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(wake) {
			wake, found = t, true
		}
	}
	if at, ok := p.ops.earliest(); ok && (!p.budgetExhausted || p.AnyFull()) {
		consider(at)
	}
	if at, ok := p.quorums.earliest(p.budgetExhausted); ok {
		consider(at)
	}
	if at, ok := p.sweep.wake(p.now()); ok && !p.budgetExhausted {
		consider(at)
	}
	if !p.deadlinesDue(p.quorums.free().minus(p.quorums.retrying())).empty() {
		consider(p.now())
	}
	return wake, found
}

// Head returns the latest block given to AdvanceHead.
func (p *Planner) Head() uint64 { return p.head }

// Stats returns the counters and current sizes.
func (p *Planner) Stats() Stats {
	s := p.stats
	s.Registered = len(p.ops.registered)
	s.Dirty = len(p.ops.dirty)
	s.Processing = len(p.ops.processing)
	s.Scheduled = p.allocations.len()
	return s
}

// now reads the clock, or returns the instant of the Together running.
func (p *Planner) now() time.Time {
	if p.instant != nil {
		return *p.instant
	}
	return p.clock()
}

// Together runs f at one instant: the clock is read once, so the operators f dirties (the events
// of one watcher batch, a re-check after a load, the allocations that come due at once) are ready
// together and handed out in one batch, ranked against each other, however long f takes.
func (p *Planner) Together(f func()) {
	if p.instant != nil {
		f()
		return
	}
	now := p.clock()
	p.instant = &now
	defer func() { p.instant = nil }()
	f()
}

// dirtyOperator marks a registered operator dirty, ready when dirtyReady says, unless it already
// was dirty: the wait counts from the first event, so a steady stream cannot postpone it. It
// reports whether op became dirty.
func (p *Planner) dirtyOperator(op common.Address) bool { return p.dirtyOperators(op) == 1 }

// dirtyOperators marks operators dirty at one instant, as dirtyOperator does, and returns how
// many became dirty: they are ready at one time.
func (p *Planner) dirtyOperators(ops ...common.Address) int {
	if len(ops) == 0 {
		return 0 // AdvanceHead at every block, mostly with nothing due: no clock read
	}
	n := 0
	p.Together(func() {
		for _, op := range ops {
			if p.markDirty(op, p.dirtyReady) {
				n++
			}
		}
	})
	return n
}

// markDirty marks op dirty, ready at ready(now), unless it is not registered, already dirty, or
// set aside.
func (p *Planner) markDirty(op common.Address, ready func(time.Time) time.Time) bool {
	if !p.ops.isRegistered(op) {
		p.stats.NotOurs++
		return false
	}
	if p.ops.isDirty(op) {
		p.stats.Coalesced++
		return false
	}
	// Set-aside work waits for the next sweep whatever the events: an event's materiality is
	// known only when the batch is resolved, so a 1-wei deposit after every debounce would
	// otherwise buy MaxFailures more failing transactions each time. A new event gives work held
	// back as immaterial its chance again.
	if p.ops.held(op) == HeldSetAside {
		return false
	}
	p.ops.unhold(op)
	p.stats.Dirtied++
	p.ops.add(op, ready(p.now()))
	return true
}

// inScope returns the known quorums that Config.Quorums lets the planner touch.
func (p *Planner) inScope() quorumSet { return p.quorums.inScope() }
